from rest_framework import serializers

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
