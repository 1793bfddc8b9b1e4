import django_filters
from django import forms
from rest_framework.exceptions import ValidationError

from apps.contacts.identities import InvalidIdentity, normalize_phone

from .models import Call

MAX_ID = 2**63 - 1


class IdFilter(django_filters.NumberFilter):
    """A row id: a whole number in the database's range (else 400, not an overflow)."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        super().__init__(*args, min_value=1, max_value=MAX_ID, **kwargs)


class CallFilter(django_filters.FilterSet):
    """Filters for the call list. Repeat a multi-valued filter: `?status=busy&status=failed`."""

    direction = django_filters.ChoiceFilter(choices=Call.Direction.choices)
    status = django_filters.MultipleChoiceFilter(choices=Call.Status.choices)
    disposition = django_filters.MultipleChoiceFilter(
        choices=[c for c in Call.Disposition.choices if c[0]])
    case = IdFilter(field_name="case_id", help_text="Case id")
    contact = IdFilter(field_name="contact_id", help_text="Contact id")
    agent = django_filters.CharFilter(
        method="filter_agent", help_text="A user id, `me`, or `none` for calls no agent took")
    number = django_filters.CharFilter(
        method="filter_number", help_text="Calls from or to this number, in any written form")
    started_after = django_filters.IsoDateTimeFilter(field_name="started_at", lookup_expr="gte")
    started_before = django_filters.IsoDateTimeFilter(field_name="started_at", lookup_expr="lt")

    class Meta:
        model = Call
        fields = []

    def filter_agent(self, queryset, name, value):
        value = value.strip().lower()
        if value == "none":
            return queryset.filter(agent__isnull=True)
        if value == "me":
            return queryset.filter(agent=self.request.user)
        if not value.isdigit() or len(value) > 18:
            raise ValidationError({"agent": ["A user id, `me` or `none`."]})
        return queryset.filter(agent_id=int(value))

    def filter_number(self, queryset, name, value):
        try:
            number = normalize_phone(value)
        except InvalidIdentity as exc:
            raise ValidationError({"number": [exc.reason]}) from None
        return queryset.filter(from_number=number) | queryset.filter(to_number=number)
