import django_filters
from django.db.models import Q

from .models import Case, Channel, parse_reference

MAX_ID = 2**63 - 1  # ids beyond a bigint are a 400, not a database overflow


class CaseFilter(django_filters.FilterSet):
    """Filters for the case list. Repeat a multi-valued filter: `?status=new&status=open`."""

    status = django_filters.MultipleChoiceFilter(choices=Case.Status.choices)
    priority = django_filters.MultipleChoiceFilter(choices=Case.Priority.choices)
    channel = django_filters.MultipleChoiceFilter(choices=Channel.choices)
    team = django_filters.NumberFilter(field_name="team_id", help_text="Team id",
                                       min_value=1, max_value=MAX_ID, decimal_places=0)
    assignee = django_filters.CharFilter(
        method="filter_assignee", help_text="A user id, `me`, or `none` for unassigned")
    requester = django_filters.NumberFilter(field_name="requester_id", help_text="Contact id",
                                            min_value=1, max_value=MAX_ID, decimal_places=0)
    tag = django_filters.CharFilter(method="filter_tag", help_text="Cases carrying this tag")
    created_after = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")
    updated_after = django_filters.IsoDateTimeFilter(field_name="updated_at", lookup_expr="gte")
    updated_before = django_filters.IsoDateTimeFilter(field_name="updated_at", lookup_expr="lt")
    q = django_filters.CharFilter(
        method="filter_text", help_text="Text in the subject, or a reference like CX-000123")

    class Meta:
        model = Case
        fields = []

    def filter_assignee(self, queryset, name, value):
        value = value.strip().lower()
        if value == "none":
            return queryset.filter(assignee__isnull=True)
        if value == "me":
            return queryset.filter(assignee=self.request.user)
        if not value.isdigit() or not 0 < int(value) <= MAX_ID:
            from rest_framework.exceptions import ValidationError

            raise ValidationError({"assignee": ["A user id, `me` or `none`."]})
        return queryset.filter(assignee_id=int(value))

    def filter_tag(self, queryset, name, value):
        return queryset.filter(tags__name=value.strip().lower())

    def filter_text(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        pk = parse_reference(value)
        condition = Q(subject__icontains=value)
        if pk:
            condition |= Q(pk=pk)
        return queryset.filter(condition)
