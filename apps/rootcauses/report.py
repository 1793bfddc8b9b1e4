"""The root-cause report's input and output, shared by the API (`GET
/api/v1/root-causes/report/`), the page (/root-causes/report/) and its CSV export: one
validation of the query parameters, one shape of a row."""

from datetime import datetime, timedelta
from typing import Any

from django.db.models import Exists, OuterRef
from django.utils import timezone
from rest_framework import serializers

from apps.accounts.models import AgentProfile, Team, role_of
from apps.api.serializers import StrictInputSerializer
from apps.cases.models import Channel
from apps.sla.serializers import PeriodBoundField

from .selectors import ReportFilters, ReportPeriod, ReportRow

DEFAULT_DAYS = 30
MAX_DAYS = 366 * 2  # a longer period is an export's job, not a dashboard's


class ReportInput(StrictInputSerializer):
    """`from` / `to`: days (to included) or instants; default the 30 days up to now."""

    from_ = PeriodBoundField(
        end=False, required=False, help_text="Start of the period (default: 30 days before to)"
    )
    to = PeriodBoundField(
        end=True, required=False, help_text="End of the period, exclusive; a day includes itself"
    )
    team = serializers.IntegerField(min_value=1, max_value=2**63 - 1, required=False)
    channel = serializers.ChoiceField(choices=Channel.choices, required=False)

    def validate_team(self, value: int) -> int:
        user = self.context["user"]
        is_member = (
            Team.objects.filter(pk=value)
            .annotate(is_member=Exists(user.teams.filter(pk=OuterRef("pk"))))
            .values_list("is_member", flat=True)
            .first()
        )
        if is_member is None:
            raise serializers.ValidationError(f"No team with id {value}.")
        if not is_member and role_of(user) != AgentProfile.Role.ADMIN:
            raise serializers.ValidationError("You may report on your own teams only.")
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs["period"] = period_between(attrs.get("from"), attrs.get("to"))
        attrs["filters"] = ReportFilters(team_id=attrs.get("team"), channel=attrs.get("channel"))
        return attrs


def period_between(start: datetime | None, end: datetime | None) -> ReportPeriod:
    """[start, end), by default the DEFAULT_DAYS up to now; a ValidationError naming the
    field for an empty or too long one (the report's and the dashboard's rule)."""
    end = end or timezone.now()
    start = start or end - timedelta(days=DEFAULT_DAYS)
    if start >= end:
        raise serializers.ValidationError({"to": ["Must be after from."]})
    if end - start > timedelta(days=MAX_DAYS):
        raise serializers.ValidationError({"from": [f"At most {MAX_DAYS} days."]})
    return ReportPeriod(start=start, end=end)


ReportInput._declared_fields["from"] = ReportInput._declared_fields.pop("from_")


class ReportRowOutput(serializers.Serializer):
    root_cause = serializers.IntegerField(source="root_cause_id")
    path = serializers.CharField()
    owner_team = serializers.CharField()
    retired = serializers.BooleanField()
    cases = serializers.IntegerField(help_text="Cases opened in the period with this cause")
    contacts = serializers.IntegerField(help_text="Distinct customers among them")
    handle_seconds = serializers.IntegerField(help_text="Their handle time (calls and chats)")
    reopened_cases = serializers.IntegerField()
    reopen_rate = serializers.FloatField(allow_null=True, help_text="% of cases reopened")
    fcr_cases = serializers.IntegerField(source="fcr_judged", help_text="Solved, with a verdict")
    fcr = serializers.IntegerField()
    fcr_rate = serializers.FloatField(allow_null=True, help_text="% FCR of fcr_cases")
    previous_cases = serializers.IntegerField(help_text="Cases in the period just before")
    trend_percent = serializers.FloatField(
        allow_null=True, help_text="Change in cases against the previous period, %"
    )
    active_spike = serializers.BooleanField()
    extra = serializers.DictField(help_text="Columns added by other apps")


class ReportOutput(serializers.Serializer):
    period = serializers.DictField()
    previous_period = serializers.DictField()
    results = ReportRowOutput(many=True)


def report_payload(rows: list[ReportRow], period: ReportPeriod) -> dict[str, Any]:
    before = period.previous()
    return {
        "period": {"from": period.start, "to": period.end},
        "previous_period": {"from": before.start, "to": before.end},
        "results": rows,
    }


CSV_COLUMNS = [
    ("root_cause", "Root cause id"),
    ("path", "Root cause"),
    ("owner_team", "Owner team"),
    ("cases", "Cases"),
    ("contacts", "Contacts affected"),
    ("handle_seconds", "Handle time (s)"),
    ("reopen_rate", "Reopen rate (%)"),
    ("fcr_rate", "FCR rate (%)"),
    ("previous_cases", "Cases, previous period"),
    ("trend_percent", "Trend (%)"),
    ("active_spike", "Active spike"),
]
