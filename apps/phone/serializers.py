"""API shapes for calls: CallRecordInput validates what comes in, CallOutput what goes out."""

from django.contrib.auth import get_user_model
from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from apps.accounts.models import Team
from apps.api.fields import HttpUriField
from apps.api.serializers import StrictInputSerializer
from apps.cases.models import Case
from apps.cases.serializers import ContactRefOutput, UserRefOutput
from apps.contacts.identities import InvalidIdentity, normalize_phone

from .models import Call
from .services import EARLIEST, LATEST, SID_PATTERN

User = get_user_model()
MAX_DURATION = 7 * 24 * 3600


def _phone(value: str) -> str:
    if not value.strip():
        return ""
    try:
        return normalize_phone(value)
    except InvalidIdentity as exc:
        raise serializers.ValidationError(f"{value!r}: {exc.reason}.") from None


# Input and output share the component name "Call" (the input is "CallRequest"), so the
# schema's enums read CallDirectionEnum, CallStatusEnum … beside the interactions' ones.
@extend_schema_serializer(component_name="Call")
class CallRecordInput(StrictInputSerializer):
    """A call to record, or more about a call recorded already (same `sid`)."""

    sid = serializers.RegexField(
        SID_PATTERN,
        required=False,
        max_length=64,
        help_text="The provider's call id (Twilio CallSid): the same sid updates the same "
        "call. Omitted: a new call with a generated sid.",
    )
    provider = serializers.RegexField(
        r"^[a-z0-9][a-z0-9_-]{0,31}$",
        required=False,
        default="api",
        help_text="Where the call comes from: twilio, aircall, manual … (new calls)",
    )
    direction = serializers.ChoiceField(
        choices=Call.Direction.choices,
        required=False,
        help_text="Required for a new call; cannot change",
    )
    from_number = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=64,
        help_text="Any written form; stored E.164. The customer's number on an inbound call",
    )
    to_number = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=64,
        help_text="The customer's number on an outbound call",
    )
    status = serializers.ChoiceField(
        choices=Call.Status.choices,
        required=False,
        help_text="Only moves forward; a new call defaults to completed",
    )
    started_at = serializers.DateTimeField(required=False)
    answered_at = serializers.DateTimeField(required=False)
    ended_at = serializers.DateTimeField(required=False)
    duration_seconds = serializers.IntegerField(required=False, min_value=0, max_value=MAX_DURATION)
    disposition = serializers.ChoiceField(
        choices=[c for c in Call.Disposition.choices if c[0]], required=False, allow_blank=True
    )
    answered_by = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=32,
        help_text="Answering-machine detection result",
    )
    recording_url = HttpUriField(required=False, allow_blank=True)
    agent = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True),
        required=False,
        help_text="The user who answered (inbound) or placed (outbound) the call",
    )
    notes = serializers.CharField(required=False, allow_blank=True, max_length=10_000)
    case = serializers.PrimaryKeyRelatedField(
        queryset=Case.objects.none(),
        required=False,
        help_text="New calls: the case to put it on (default: the caller's open case, else a "
        "new case)",
    )
    team = serializers.PrimaryKeyRelatedField(
        queryset=Team.objects.all(),
        required=False,
        help_text="New calls: the team of a case the call opens",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["case"].queryset = Case.objects.visible_to(request.user)

    def validate_from_number(self, value: str) -> str:
        return _phone(value)

    def validate_to_number(self, value: str) -> str:
        return _phone(value)

    def validate(self, attrs):
        errors = {}
        direction = attrs.get("direction")
        if direction:
            customer = "from_number" if direction == Call.Direction.INBOUND else "to_number"
            if customer in attrs and not attrs[customer]:
                errors[customer] = ["The customer's number cannot be blank."]
        started, answered, ended = (attrs.get(f) for f in ("started_at", "answered_at", "ended_at"))
        for field in ("started_at", "answered_at", "ended_at"):
            if attrs.get(field) and not EARLIEST <= attrs[field] <= LATEST:
                errors[field] = ["Not a plausible time for a call (1970–2999)."]
        if started and answered and answered < started:
            errors["answered_at"] = ["Cannot be before started_at."]
        if ended and (answered or started) and ended < (answered or started):
            errors["ended_at"] = ["Cannot be before answered_at / started_at."]
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


class CaseRefOutput(serializers.Serializer):
    id = serializers.IntegerField()
    reference = serializers.CharField()


@extend_schema_serializer(component_name="Call")
class CallOutput(serializers.ModelSerializer):
    agent = UserRefOutput(allow_null=True)
    contact = ContactRefOutput()
    case = CaseRefOutput()
    interaction = serializers.IntegerField(
        source="interaction_id", allow_null=True, help_text="The call's interaction on the case"
    )
    recording_url = HttpUriField(allow_blank=True, help_text="Empty when none is known")

    class Meta:
        model = Call
        fields = [
            "id",
            "sid",
            "provider",
            "direction",
            "from_number",
            "to_number",
            "status",
            "started_at",
            "answered_at",
            "ended_at",
            "duration_seconds",
            "disposition",
            "answered_by",
            "recording_url",
            "agent",
            "notes",
            "case",
            "interaction",
            "contact",
            "created_at",
            "updated_at",
        ]
