import django_filters
from rest_framework.exceptions import ValidationError

from apps.api.filters import DateTimeFilter, IdFilter, UserFilter
from apps.contacts.identities import InvalidIdentity, normalize_phone

from .models import Call


class CallFilter(django_filters.FilterSet):
    """Filters for the call list. Repeat a multi-valued filter: `?status=busy&status=failed`."""

    direction = django_filters.ChoiceFilter(choices=Call.Direction.choices)
    status = django_filters.MultipleChoiceFilter(choices=Call.Status.choices)
    disposition = django_filters.MultipleChoiceFilter(
        choices=[c for c in Call.Disposition.choices if c[0]]
    )
    case = IdFilter(field_name="case_id", help_text="Case id")
    contact = IdFilter(field_name="contact_id", help_text="Contact id")
    agent = UserFilter(
        field_name="agent", help_text="A user id, `me`, or `none` for calls no agent took"
    )
    number = django_filters.CharFilter(
        method="filter_number", help_text="Calls from or to this number, in any written form"
    )
    started_after = DateTimeFilter(field_name="started_at", lookup_expr="gte")
    started_before = DateTimeFilter(field_name="started_at", lookup_expr="lt")

    class Meta:
        model = Call
        fields = []

    def filter_number(self, queryset, name, value):
        try:
            number = normalize_phone(value)
        except InvalidIdentity as exc:
            raise ValidationError({"number": [exc.reason]}) from None
        return queryset.filter(from_number=number) | queryset.filter(to_number=number)
