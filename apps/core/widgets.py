"""Choice widgets that write their options in Python: the same HTML as Django's templates
(stripped, as Django's form renderer returns it).

Django renders a <select> or a list of checkboxes through a template that includes one
template per option, and another for each option's attributes: the queue page's filters
(an assignee list, statuses, channels …) made about 200 includes, 5 ms of every page, and
the case page's header as many. These widgets write the same markup themselves, character
for character — tests/core/test_fast_widgets.py renders each both ways and compares.
Subclasses that change a template (`template_name`, `option_template_name`) are rendered by
Django as usual.
"""

from django import forms
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe


def _attrs(attrs: dict) -> str:
    """django/forms/widgets/attrs.html: ` name="value"`, a bare name for True, none for False."""
    parts = []
    for name, value in attrs.items():
        if value is False:
            continue
        if value is True:
            parts.append(f" {conditional_escape(name)}")
        else:
            parts.append(f' {conditional_escape(name)}="{conditional_escape(value)}"')
    return "".join(parts)


def _select_option(option: dict) -> str:
    return (
        f'<option value="{conditional_escape(option["value"])}"{_attrs(option["attrs"])}>'
        f"{conditional_escape(option['label'])}</option>\n"
    )


def _input_option(option: dict) -> str:
    """django/forms/widgets/input_option.html with input.html inside."""
    value = option["value"]
    field = (
        f'<input type="{conditional_escape(option["type"])}" '
        f'name="{conditional_escape(option["name"])}"'
        + (f' value="{conditional_escape(value)}"' if value is not None else "")
        + f"{_attrs(option['attrs'])}>\n"
    )
    if not option.get("wrap_label"):
        return field + "\n"
    label_id = option["attrs"].get("id")
    label_for = f' for="{conditional_escape(label_id)}"' if label_id else ""
    return f"<label{label_for}>{field} {conditional_escape(option['label'])}</label>\n"


class _PythonOptions:
    """Render with the functions above while the widget uses Django's own templates."""

    django_template_name: str
    django_option_template_name: str

    def _render(self, template_name, context, renderer=None) -> SafeString:
        if (
            template_name != self.django_template_name
            or self.option_template_name != self.django_option_template_name  # type: ignore[attr-defined]
        ):
            return super()._render(template_name, context, renderer)  # type: ignore[misc]
        return mark_safe(self._html(context["widget"]))

    def _html(self, widget: dict) -> str:
        raise NotImplementedError


class Select(_PythonOptions, forms.Select):
    django_template_name = forms.Select.template_name
    django_option_template_name = forms.Select.option_template_name

    def _html(self, widget: dict) -> str:
        out = [f'<select name="{conditional_escape(widget["name"])}"{_attrs(widget["attrs"])}>']
        for group_name, options, _ in widget["optgroups"]:
            if group_name:
                out.append(f'\n  <optgroup label="{conditional_escape(group_name)}">')
            for option in options:
                out.append("\n  " + _select_option(option))
            if group_name:
                out.append("\n  </optgroup>")
        out.append("\n</select>")
        return "".join(out)


class CheckboxSelectMultiple(_PythonOptions, forms.CheckboxSelectMultiple):
    django_template_name = forms.CheckboxSelectMultiple.template_name
    django_option_template_name = forms.CheckboxSelectMultiple.option_template_name

    def _html(self, widget: dict) -> str:
        """django/forms/widgets/multiple_input.html (checkbox_select.html includes it)."""
        attrs = widget["attrs"]
        out = ["<div"]
        if attrs.get("id"):
            out.append(f' id="{conditional_escape(attrs["id"])}"')
        if attrs.get("class"):
            out.append(f' class="{conditional_escape(attrs["class"])}"')
        out.append(">")
        for group, options, _ in widget["optgroups"]:
            if group:
                out.append(f"\n  <div><label>{conditional_escape(group)}</label>")
            for option in options:
                # checkbox_option.html: input_option.html and a line break
                out.append("<div>\n    " + _input_option(option) + "\n</div>")
            if group:
                out.append("\n  </div>")
        out.append("\n</div>")
        return "".join(out)
