from rest_framework import serializers

from .models import Metric, SlaClock, SlaClockEvent


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
