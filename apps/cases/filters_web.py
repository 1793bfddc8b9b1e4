"""The queue page's filters and sort (GET parameters), as a django-filter FilterSet.

Unlike the API's CaseFilter (apps/cases/filters.py) this one is a form an agent fills in:
dates are days in the current time zone, the assignee and team are choices, and `sort` is one
of queues.SORTS. A value it cannot read leaves the form invalid: the page says which field is
wrong (never a 500).
"""

from datetime import date, datetime, time, timedelta

import django_filters
from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone

from apps.accounts.models import Team
from apps.core import widgets

from . import queues
from .filters import CaseFilter
from .models import Case, Channel, SavedView

SLA_STATES = [
    ("breached", "Breached"),
    ("at_risk", "At risk (within the hour)"),
    ("on_track", "On track"),
    ("none", "No running clock"),
]


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


class DateInput(forms.DateInput):
    input_type = "date"


class QueueFilter(django_filters.FilterSet):
    # distinct=False: columns of the case itself (see CaseFilter).
    status = django_filters.MultipleChoiceFilter(
        choices=Case.Status.choices, distinct=False, widget=widgets.CheckboxSelectMultiple
    )
    priority = django_filters.MultipleChoiceFilter(
        choices=Case.Priority.choices, distinct=False, widget=widgets.CheckboxSelectMultiple
    )
    channel = django_filters.MultipleChoiceFilter(
        choices=Channel.choices, distinct=False, widget=widgets.CheckboxSelectMultiple
    )
    team = django_filters.ChoiceFilter(
        choices=[],
        method="filter_team",
        empty_label="Any team",
        label="Team",
        widget=widgets.Select,
    )
    assignee = django_filters.ChoiceFilter(
        choices=[],
        method="filter_assignee",
        empty_label="Anyone",
        label="Assignee",
        widget=widgets.Select,
    )
    tag = django_filters.CharFilter(method="filter_tag", max_length=64, label="Tag")
    # The root-cause report's drill-down links here (retired nodes too: their cases stay).
    root_cause = django_filters.ChoiceFilter(
        choices=[],
        method="filter_root_cause",
        empty_label="Any root cause",
        label="Root cause",
        widget=widgets.Select,
    )
    created_from = django_filters.DateFilter(
        method="filter_from", field_name="created_at", label="Created from", widget=DateInput
    )
    created_to = django_filters.DateFilter(
        method="filter_to", field_name="created_at", label="Created to", widget=DateInput
    )
    updated_from = django_filters.DateFilter(
        method="filter_from", field_name="updated_at", label="Active from", widget=DateInput
    )
    updated_to = django_filters.DateFilter(
        method="filter_to", field_name="updated_at", label="Active to", widget=DateInput
    )
    sla = django_filters.ChoiceFilter(
        choices=SLA_STATES,
        method="filter_sla",
        label="SLA",
        empty_label="Any",
        widget=widgets.Select,
    )
    # Read by the view (queues.page_of), not a filter: here so that it is validated too.
    sort = django_filters.ChoiceFilter(
        choices=[(s.key, s.label) for s in queues.SORTS.values()],
        method="keep",
        empty_label=None,
        label="Sort by",
        widget=widgets.Select,
    )

    class Meta:
        model = Case
        fields: list[str] = []

    def __init__(
        self,
        *args,
        scope: queues.Scope,
        now: datetime | None = None,
        root_causes: list[tuple[int, str, bool]] | None = None,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        # (id, path, retired) of every node, from the caller (the page reads them anyway);
        # else read only when the filter is asked for (the counts cost no extra query).
        if root_causes is None and self.data.get("root_cause"):
            from apps.rootcauses.selectors import root_cause_nodes

            root_causes = root_cause_nodes()
        self.form.fields["root_cause"].choices = [
            ("", "Any root cause"),
            *(
                (str(pk), f"{path} (retired)" if retired else path)
                for pk, path, retired in root_causes or ()
            ),
        ]
        self.scope, self.now = scope, now or timezone.now()
        # An agent's own teams (read with the scope: no query); an admin's, every team.
        teams = (
            list(Team.objects.order_by("name", "pk").values_list("pk", "name"))
            if scope.is_admin
            else scope.teams
        )
        self.form.fields["team"].choices = [("", "Any team"), *((str(pk), n) for pk, n in teams)]
        self.assignees = assignee_choices(scope)  # also the bulk form's choices
        self.form.fields["assignee"].choices = [
            ("", "Anyone"),
            ("me", "Me"),
            ("none", "Unassigned"),
            *((str(pk), name) for pk, name in self.assignees),
        ]

    def keep(self, queryset, name, value):
        return queryset

    def filter_team(self, queryset, name, value):
        return queryset.filter(team_id=int(value))

    def filter_assignee(self, queryset, name, value):
        if value == "me":
            return queryset.filter(assignee=self.scope.user)
        if value == "none":
            return queryset.filter(assignee__isnull=True)
        return queryset.filter(assignee_id=int(value))

    filter_tag = CaseFilter.filter_tag

    def filter_root_cause(self, queryset, name, value):
        return queryset.filter(root_cause_id=int(value))

    def filter_from(self, queryset, name, value):
        return queryset.filter(**{f"{name}__gte": _start_of(value)})

    def filter_to(self, queryset, name, value):  # the whole day `value` included
        return queryset.filter(**{f"{name}__lt": _start_of(value + timedelta(days=1))})

    def filter_sla(self, queryset, name, value):
        now, soon = self.now, self.now + queues.BREACHING_WITHIN
        return queryset.filter(
            {
                "breached": Q(next_breach_at__lt=now),
                "at_risk": Q(next_breach_at__gte=now, next_breach_at__lt=soon),
                "on_track": Q(next_breach_at__gte=soon),
                "none": Q(next_breach_at__isnull=True),
            }[value]
        )

    def sort_key(self) -> str:
        """The sort asked for, once the form is valid (the default when none is given)."""
        return self.form.cleaned_data.get("sort") or queues.DEFAULT_SORT


def assignee_choices(scope: queues.Scope) -> list[tuple[int, str]]:
    """(id, name) of the people the user may filter by or assign to: their teams' members
    (every active member of a team for an admin); stakeholders work no case."""
    users = get_user_model().objects.filter(is_active=True).exclude(profile__role="stakeholder")
    if scope.is_admin:
        users = users.filter(teams__isnull=False)
    else:
        users = users.filter(teams__in=scope.team_ids)
    rows = users.distinct().order_by("first_name", "last_name", "username")
    return [
        (u.pk, u.get_full_name() or u.get_username())
        for u in rows.only("pk", "first_name", "last_name", "username")
    ]


MAX_SAVED_VIEWS = 50


def normalised_query(data) -> str:
    """The view and filter parameters of `data` (a QueryDict), URL-encoded in a fixed order:
    no cursor, no empty value, nothing unknown — what a saved view keeps."""
    from django.http import QueryDict

    query = QueryDict(mutable=True)
    view = data.get("view", "")
    if view in queues.VIEWS:
        query["view"] = view
    for name in QueueFilter.base_filters:
        values = [v for v in data.getlist(name) if v.strip()]
        if values:
            query.setlist(name, values)
    return query.urlencode()


class SavedViewForm(forms.ModelForm):
    class Meta:
        model = SavedView
        fields = ["name"]

    def __init__(self, *args, owner, query_data, scope: queues.Scope, **kwargs):
        super().__init__(*args, **kwargs)
        self.owner, self.query_data, self.scope = owner, query_data, scope

    def clean_name(self):
        name = " ".join(self.cleaned_data["name"].split())  # (required: never empty)
        if SavedView.objects.filter(owner=self.owner, name__iexact=name).exists():
            raise forms.ValidationError(f"You already have a view named “{name}”.")
        return name

    def clean(self):
        data = super().clean()
        if SavedView.objects.filter(owner=self.owner).count() >= MAX_SAVED_VIEWS:
            raise forms.ValidationError(
                f"You have {MAX_SAVED_VIEWS} saved views: delete one first."
            )
        filters = QueueFilter(self.query_data, queryset=Case.objects.none(), scope=self.scope)
        if not filters.is_valid():
            raise forms.ValidationError("These filters cannot be read: correct them first.")
        self.instance.owner = self.owner
        self.instance.query = normalised_query(self.query_data)
        return data
