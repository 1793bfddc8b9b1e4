"""Admin display of customer-supplied text: hidden and reordering characters made visible.

`RevealHiddenAdmin` goes first in the bases of a ModelAdmin or an inline whose model holds
text that customers or other systems wrote (subjects, names, identities, filenames, headers).
Wherever that admin only *shows* a text, JSON or foreign-key field — list columns, read-only
fields of change and view pages, read-only inlines, the page's heading and breadcrumb
(templates/admin/change_form.html), the labels of related-object choices, the object named at
the head of each inline row — the value goes through
apps.core.text.reveal_hidden, so "invoice\u202egnp.exe" reads "invoice⟨U+202E⟩gnp.exe". Fields
an admin edits keep their raw value in the input (saving must not rewrite the data), and the
stored data never changes.

How: each such field name is swapped for a display function of the same name, label, ordering
and CSS class (list_display accepts callables; read-only fields and fieldsets do too, and the
form excludes them because get_readonly_fields lists them).
"""

import json
from typing import Any

from django.contrib.admin import helpers
from django.contrib.admin.utils import quote
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html

from apps.core.text import reveal_hidden


def _is_text(field) -> bool:
    return isinstance(field, models.CharField | models.TextField) and not field.choices


def _is_relation(field) -> bool:
    return field.is_relation and (field.many_to_one or field.one_to_one) and field.concrete


class _ShownObject:
    """An inline row's object as the row shows it: str() revealed, everything else the object
    (the row's change link reads its pk)."""

    def __init__(self, obj):
        self._obj = obj

    def __getattr__(self, name):
        return getattr(self._obj, name)

    def __str__(self) -> str:
        return reveal_hidden(str(self._obj))


class _RevealingInlineAdminFormSet(helpers.InlineAdminFormSet):
    def __iter__(self):
        for inline_form in super().__iter__():
            if inline_form.original is not None:
                inline_form.original = _ShownObject(inline_form.original)
            yield inline_form


class RevealHiddenAdmin:
    def _revealer(self, name, *, link: bool):
        """The display function for field `name` (None when it is not text or a relation)."""
        cache = self.__dict__.setdefault("_revealers", {})
        key = (name, link)
        if key not in cache:
            cache[key] = self._make_revealer(name, link=link)
        return cache[key]

    def _make_revealer(self, name, *, link: bool):
        show: Any  # a function that also carries the admin's display attributes
        if name == "__str__":
            show, label = (lambda obj: reveal_hidden(str(obj))), self.model._meta.verbose_name
        else:
            field = self._field(name)
            show = self._show_function(field, name, link=link) if field else None
            if show is None:
                return None
            label = field.verbose_name
            show.admin_order_field = name
        show.short_description = label
        show.__name__ = name
        return show

    def _field(self, name):
        if not isinstance(name, str):
            return None
        try:
            return self.model._meta.get_field(name)
        except FieldDoesNotExist:
            return None

    def _show_function(self, field, name: str, *, link: bool):
        """How a text, JSON or relation field's value reads on the page (None: as it is)."""
        if _is_text(field):

            def show(obj):
                value = getattr(obj, name)
                return None if value is None else reveal_hidden(value)
        elif isinstance(field, models.JSONField):  # e.g. an event's before/after, headers

            def show(obj):
                value = getattr(obj, name)
                if value is None:
                    return None
                return reveal_hidden(json.dumps(value, ensure_ascii=False, cls=field.encoder))
        elif _is_relation(field):

            def show(obj):
                related = getattr(obj, name)
                if related is None:
                    return None
                text = reveal_hidden(str(related))
                url = self._change_url(related) if link else None
                return format_html('<a href="{}">{}</a>', url, text) if url else text
        else:
            return None
        return show

    def _change_url(self, obj) -> str | None:
        opts = obj._meta
        try:
            return reverse(
                f"admin:{opts.app_label}_{opts.model_name}_change",
                args=[quote(obj.pk)],
                current_app=self.admin_site.name,
            )
        except NoReverseMatch:
            return None

    # --- choices of related objects (selects of foreign keys and many-to-many) -------------
    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        return self._reveal_choices(super().formfield_for_foreignkey(db_field, request, **kwargs))

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        return self._reveal_choices(super().formfield_for_manytomany(db_field, request, **kwargs))

    @staticmethod
    def _reveal_choices(formfield):
        # Only the labels change; the submitted values stay the related objects' keys.
        if formfield is not None and hasattr(formfield, "label_from_instance"):
            formfield.label_from_instance = lambda obj: reveal_hidden(str(obj))
        return formfield

    # --- the change list ------------------------------------------------------------------
    def get_list_display(self, request):
        editable = set(getattr(self, "list_editable", ()) or ())
        return [
            name if name in editable else self._revealer(name, link=False) or name
            for name in super().get_list_display(request)
        ]

    def get_list_display_links(self, request, list_display):
        links = super().get_list_display_links(request, list_display)
        if not links:
            return links
        return [self._revealer(name, link=False) or name for name in links]

    def get_list_select_related(self, request):
        chosen = super().get_list_select_related(request)
        if chosen is not False:
            return chosen
        # Display functions hide the relations from Django's own detection: name them.
        names = []
        for name in super().get_list_display(request):
            try:
                field = self.model._meta.get_field(name) if isinstance(name, str) else None
            except FieldDoesNotExist:
                continue
            if field is not None and _is_relation(field):
                names.append(name)
        return names or False

    # --- change and view pages ------------------------------------------------------------
    def _display_only(self, request, obj) -> set[str]:
        """Names of text/relation fields this page shows without an input for them."""
        names = {
            name for name in super().get_readonly_fields(request, obj) if isinstance(name, str)
        }
        if not self.has_change_permission(request, obj):
            names |= {field.name for field in self.model._meta.concrete_fields}
        return {name for name in names if self._revealer(name, link=True)}

    def _swap(self, names, display_only):
        swapped = []
        for name in names:
            if isinstance(name, list | tuple):  # several fields on one line
                swapped.append(type(name)(self._swap(name, display_only)))
            elif isinstance(name, str) and name in display_only:
                swapped.append(self._revealer(name, link=True))
            else:
                swapped.append(name)
        return swapped

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        display_only = self._display_only(request, obj)
        # The names stay too: that is what keeps them out of the form.
        return readonly + [self._revealer(name, link=True) for name in sorted(display_only)]

    def get_fields(self, request, obj=None):
        fields = self._swap(super().get_fields(request, obj), self._display_only(request, obj))
        unique = []
        for field in fields:
            if field not in unique:
                unique.append(field)
        return unique

    def get_fieldsets(self, request, obj=None):
        display_only = self._display_only(request, obj)
        return [
            (title, {**options, "fields": self._swap(options["fields"], display_only)})
            for title, options in super().get_fieldsets(request, obj)
        ]

    def get_inline_formsets(self, request, formsets, inline_instances, obj=None):
        inline_formsets = super().get_inline_formsets(request, formsets, inline_instances, obj)
        for inline_formset in inline_formsets:
            # Same object, one more behaviour: rows name their object through reveal_hidden.
            if type(inline_formset) is helpers.InlineAdminFormSet:
                inline_formset.__class__ = _RevealingInlineAdminFormSet
        return inline_formsets

    def render_change_form(self, request, context, *args, obj=None, **kwargs):
        if obj is not None and context.get("subtitle"):
            context["subtitle"] = reveal_hidden(str(obj))
        return super().render_change_form(request, context, *args, obj=obj, **kwargs)


class ReadOnlyAdminMixin:
    """What the admin may not write, in one place. First in a ModelAdmin's or an inline's bases.

    By default nothing: a log written only by the services (audit trails, inbound and
    delivery logs, calls) is shown, and no row is added, changed or deleted — actions such as
    "re-process" or "retry now" go through the services. `admin_writes` names what an admin
    keeps ("add", "change", "delete"): e.g. {"change"} for a page whose few editable fields
    save through the services, {"delete"} for identities removed through one.
    """

    admin_writes: frozenset[str] = frozenset()

    def has_add_permission(self, request, *args):
        return "add" in self.admin_writes and super().has_add_permission(request, *args)

    def has_change_permission(self, request, obj=None):
        return "change" in self.admin_writes and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return "delete" in self.admin_writes and super().has_delete_permission(request, obj)
