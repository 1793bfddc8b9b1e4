from datetime import UTC, datetime, time, timedelta

from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.accounts.models import AgentProfile, Team, role_of
from apps.api.serializers import StrictInputSerializer
from apps.cases.models import Case, Channel

from .models import CaseMetrics, Metric, SlaClock, SlaClockEvent


class SlaClockEventOutput(serializers.Serializer):
    kind = serializers.ChoiceField(choices=SlaClockEvent.Kind.choices)
    at = serializers.DateTimeField()
    detail = serializers.DictField()


class SlaClockOutput(serializers.Serializer):
    id = serializers.IntegerField()
    metric = serializers.ChoiceField(choices=Metric.choices)
    instance = serializers.IntegerField(help_text="1, 2 … per next response and per reopen")
    policy_id = serializers.IntegerField(allow_null=True)
    target_minutes = serializers.IntegerField()
    business_hours = serializers.BooleanField(
        help_text="Counted in the policy calendar's business hours (else around the clock)"
    )
    state = serializers.ChoiceField(choices=SlaClock.State.choices)
    started_at = serializers.DateTimeField()
    due_at = serializers.DateTimeField(allow_null=True, help_text="null while paused")
    warn_at = serializers.DateTimeField(allow_null=True)
    met_at = serializers.DateTimeField(allow_null=True, help_text="When it was fulfilled")
    breached_at = serializers.DateTimeField(allow_null=True)
    paused_seconds = serializers.IntegerField()
    business_seconds = serializers.IntegerField(
        help_text="Business time elapsed until fulfilled (or until computed), pauses excluded"
    )
    calendar_seconds = serializers.IntegerField()
    events = SlaClockEventOutput(many=True)


class PolicyRef(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class SlaStateOutput(serializers.Serializer):
    case = serializers.IntegerField()
    policy = PolicyRef(allow_null=True, help_text="The SLA policy applied; null while none does")
    next_breach_at = serializers.DateTimeField(
        allow_null=True, help_text="The soonest due instant of a clock not yet fulfilled"
    )
    clocks = SlaClockOutput(many=True)


class DurationOutput(serializers.Serializer):
    seconds = serializers.IntegerField(help_text="Calendar time")
    business_seconds = serializers.IntegerField(
        allow_null=True,
        help_text="Business time of the applicable policy's calendar; null when no policy "
        "applies (a policy without a calendar counts around the clock)",
    )


class NextResponseOutput(serializers.Serializer):
    started_at = serializers.DateTimeField(help_text="The customer message that waited")
    responded_at = serializers.DateTimeField(help_text="The agent response that answered it")
    seconds = serializers.IntegerField()
    business_seconds = serializers.IntegerField(allow_null=True)


class HandleTimeOutput(serializers.Serializer):
    seconds = serializers.IntegerField(help_text="call_seconds + chat_seconds")
    call_seconds = serializers.IntegerField(help_text="Talk time of the calls an agent took")
    chat_seconds = serializers.IntegerField(
        help_text="Start to end of the ended chats an agent answered"
    )


class FcrOutput(serializers.Serializer):
    value = serializers.BooleanField(
        allow_null=True, help_text="First-contact resolution; null while the case is not solved"
    )
    state = serializers.ChoiceField(choices=CaseMetrics.FcrState.choices)
    reason = serializers.ChoiceField(
        choices=[c for c in CaseMetrics.FcrReason.choices if c[0]],
        allow_null=True,
        help_text="Why it is not FCR (the first that applies)",
    )
    repeat_case = serializers.IntegerField(
        allow_null=True, help_text="The requester's case opened within the window"
    )
    final_at = serializers.DateTimeField(
        allow_null=True, help_text="When the verdict stops being provisional"
    )
    window_days = serializers.IntegerField(help_text="CXDESK_FCR_WINDOW_DAYS")


class CaseMetricsOutput(serializers.Serializer):
    case = serializers.IntegerField()
    computed_at = serializers.DateTimeField(
        allow_null=True, help_text="null: not computed yet (its recompute is queued)"
    )
    policy = PolicyRef(allow_null=True, help_text="Whose calendar counted the business times")
    first_response_at = serializers.DateTimeField(allow_null=True)
    first_response = DurationOutput(allow_null=True, help_text="Creation to first response")
    next_responses = NextResponseOutput(many=True)
    solved_at = serializers.DateTimeField(allow_null=True, help_text="The latest solve")
    first_resolution = DurationOutput(allow_null=True, help_text="Creation to first solve")
    resolution = DurationOutput(
        allow_null=True, help_text="Creation to the latest solve, while solved"
    )
    requester_wait = DurationOutput(help_text="Time in new, open and on hold")
    agent_work = DurationOutput(help_text="Time in new and open")
    on_hold = DurationOutput(help_text="Time on hold")
    reopen_count = serializers.IntegerField()
    agent_replies = serializers.IntegerField(help_text="Public agent responses")
    agent_responses = serializers.IntegerField(
        help_text="Agent responses as FCR counts them: a chat session counts one"
    )
    handle_time = HandleTimeOutput()
    fcr = FcrOutput()
    one_touch = serializers.BooleanField(
        allow_null=True, help_text="Solved with at most one public agent reply"
    )
    no_customer_follow_up = serializers.BooleanField(
        allow_null=True, help_text="Solved with no customer message after the first response"
    )


@extend_schema_field(
    {
        "type": "string",
        "anyOf": [{"format": "date"}, {"format": "date-time"}],
        "example": "2026-11-30",
    }
)
class PeriodBoundField(serializers.Field):
    """A day (``2026-11-30``: from its start, or to its end for `to`, in TIME_ZONE) or an
    RFC 3339 instant (``2026-11-30T09:00:00+01:00``; without an offset, in TIME_ZONE)."""

    default_error_messages = {
        "invalid": "A date (YYYY-MM-DD) or an RFC 3339 date-time.",
        "out_of_range": "Out of range.",
    }

    def __init__(self, *, end: bool, **kwargs):
        self.end = end
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        text = str(data).strip()
        zone = timezone.get_default_timezone()
        try:
            day = parse_date(text) if len(text) == 10 else None
            if day is not None:
                if self.end:
                    day += timedelta(days=1)
                return datetime.combine(day, time(), tzinfo=zone).astimezone(UTC)
            instant = parse_datetime(text)
        except ValueError:
            self.fail("invalid")
        except OverflowError:
            self.fail("out_of_range")
        if instant is None:
            self.fail("invalid")
        if timezone.is_naive(instant):
            instant = instant.replace(tzinfo=zone)
        try:
            return instant.astimezone(UTC)
        except (OverflowError, ValueError):
            self.fail("out_of_range")

    def to_representation(self, value):
        return value.isoformat()


class SlaSummaryInput(StrictInputSerializer):
    """The summary's query parameters (`from` is declared as from_: a Python keyword)."""

    from_ = PeriodBoundField(
        end=False, required=False, help_text="Start of the period (default: 30 days before to)"
    )
    to = PeriodBoundField(
        end=True, required=False, help_text="End of the period, exclusive; a day includes itself"
    )
    team = serializers.IntegerField(min_value=1, max_value=2**63 - 1, required=False)
    channel = serializers.ChoiceField(choices=Channel.choices, required=False)
    priority = serializers.ChoiceField(choices=Case.Priority.choices, required=False)

    DEFAULT_DAYS = 30

    def validate_team(self, value):
        user = self.context["user"]
        team = (
            Team.objects.filter(pk=value)
            .annotate(is_member=Exists(user.teams.filter(pk=OuterRef("pk"))))
            .values_list("is_member", flat=True)
            .first()
        )
        if team is None:
            raise serializers.ValidationError(f"No team with id {value}.")
        if not team and role_of(user) == AgentProfile.Role.AGENT:
            raise serializers.ValidationError("Agents may report on their own teams only.")
        return value

    def validate(self, attrs):
        end = attrs.get("to") or timezone.now()
        start = attrs.get("from") or end - timedelta(days=self.DEFAULT_DAYS)
        if start > end:
            raise serializers.ValidationError({"to": ["Must not be before from."]})
        attrs["from"], attrs["to"] = start, end
        return attrs


SlaSummaryInput._declared_fields["from"] = SlaSummaryInput._declared_fields.pop("from_")


class AttainmentOutput(serializers.Serializer):
    metric = serializers.ChoiceField(choices=Metric.choices)
    met = serializers.IntegerField()
    breached = serializers.IntegerField()
    percent = serializers.FloatField(allow_null=True, help_text="met ÷ (met + breached) × 100")


class CalendarTimesOutput(serializers.Serializer):
    count = serializers.IntegerField(help_text="Every one with a time (policy or not)")
    median = serializers.FloatField(allow_null=True, help_text="Calendar seconds")
    p90 = serializers.FloatField(allow_null=True, help_text="Calendar seconds")


class TimesOutput(serializers.Serializer):
    count = serializers.IntegerField(help_text="Those with a business time (a policy applied)")
    median = serializers.FloatField(allow_null=True, help_text="Business seconds")
    p90 = serializers.FloatField(allow_null=True, help_text="Business seconds")
    calendar = CalendarTimesOutput(help_text="The same figure in calendar time")


class FcrRateOutput(serializers.Serializer):
    cases = serializers.IntegerField()
    fcr = serializers.IntegerField()
    percent = serializers.FloatField(allow_null=True)


class ShareOutput(serializers.Serializer):
    cases = serializers.IntegerField(help_text="Solved cases with an FCR verdict")
    count = serializers.IntegerField()
    percent = serializers.FloatField(allow_null=True)


class FcrRatesOutput(serializers.Serializer):
    final = FcrRateOutput(help_text="Cases whose FCR window has passed")
    provisional = FcrRateOutput(help_text="Cases still inside the window")


class PeriodOutput(serializers.Serializer):
    to = serializers.DateTimeField()

    def get_fields(self):
        fields = super().get_fields()
        return {"from": serializers.DateTimeField(), **fields}


class SlaSummaryOutput(serializers.Serializer):
    period = PeriodOutput()
    attainment = AttainmentOutput(
        many=True, help_text="Clocks started in the period that are met or breached"
    )
    first_response = TimesOutput(help_text="Cases opened in the period: their first response")
    next_response = TimesOutput(
        help_text="Next responses given in the period: a customer's message after an agent "
        "response, to the next agent response"
    )
    resolution = TimesOutput(help_text="Cases solved in the period: opening to (latest) solve")
    fcr = FcrRatesOutput(help_text="Cases solved in the period")
    one_touch = ShareOutput(help_text="Solved with at most one public agent reply")
    no_customer_follow_up = ShareOutput(
        help_text="Solved with no customer message after the first agent response"
    )
