"""apps/core/widgets.py writes choice widgets in Python: the HTML must be what Django's own
templates render, character for character, whatever the choices, values and attributes."""

import pytest
from django import forms
from django.utils.safestring import mark_safe

from apps.core import widgets

CHOICES = [
    ("", "---------"),
    ("open", "Open"),
    ("a&b", 'Tom & "Jerry" <b>'),
    (3, mark_safe("<i>safe</i>")),
    ("Group", [("g1", "In a group"), ("g2", "Also")]),
]
ATTRS = [
    {},
    {"id": "field-x", "class": "wide", "autofocus": True, "disabled": False},
    {"aria-describedby": 'err "x"', "data-n": 5},
]
VALUES = [None, "", "open", ["open", "g2"], "a&b", 3]


def django_html(widget_class, name, value, attrs):
    plain = widget_class.__mro__[2]  # forms.Select / forms.CheckboxSelectMultiple
    return plain(choices=CHOICES).render(name, value, attrs=attrs)


@pytest.mark.parametrize("attrs", ATTRS)
@pytest.mark.parametrize("value", VALUES)
@pytest.mark.parametrize("widget_class", [widgets.Select, widgets.CheckboxSelectMultiple])
def test_the_html_is_djangos(widget_class, value, attrs):
    fast = widget_class(choices=CHOICES).render("field", value, attrs=attrs)
    assert fast == django_html(widget_class, "field", value, attrs)


@pytest.mark.django_db
def test_the_pages_forms_render_as_with_djangos_widgets(agent, team):
    """The queue's filters and the case header's fields, as the pages build them."""
    from apps.cases import queues
    from apps.cases.filters_web import QueueFilter
    from apps.cases.forms import FIELD_FORMS, ComposeForm
    from apps.cases.models import Case
    from tests.factories import CaseFactory

    case = CaseFactory(team=team, assignee=agent)
    forms_shown = [
        QueueFilter({}, queryset=Case.objects.all(), scope=queues.Scope.of(agent)).form,
        *(form_class(case=case, user=agent) for form_class in FIELD_FORMS.values()),
        ComposeForm(case=case),
    ]
    checked = 0
    for form in forms_shown:
        for bound in form:
            widget = bound.field.widget
            if not isinstance(widget, widgets._PythonOptions):
                continue
            fast = str(bound)
            django_class = type(widget).__mro__[2]
            bound.field.widget = django_class(attrs=widget.attrs, choices=widget.choices)
            assert fast == str(form[bound.name]), bound.name
            bound.field.widget = widget
            checked += 1
    assert checked >= 10  # status, priority, channel, team, assignee, root cause, sla, sort …


def test_a_subclass_with_its_own_option_template_is_rendered_by_django():
    class Django(forms.Select):
        option_template_name = "django/forms/widgets/radio_option.html"

    class Ours(widgets.Select):
        option_template_name = "django/forms/widgets/radio_option.html"

    expected = Django(choices=[("a", "A")]).render("f", "a")
    assert "<label><input" in expected  # the other option template was used
    assert Ours(choices=[("a", "A")]).render("f", "a") == expected
