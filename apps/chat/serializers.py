"""Shapes of the chat endpoints: Input* validate what comes in, Output* what goes out."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.api.serializers import StrictInputSerializer
from apps.cases.models import Interaction
from apps.cases.serializers import ContactRefOutput, TeamRefOutput, UserRefOutput
from apps.contacts import identities
from apps.core.ids import MAX_DB_ID

from .models import ChatSession

MAX_MESSAGE_LENGTH = 5000
VISITOR_ID_RE = r"^v_[A-Za-z0-9_-]{16,64}$"


class ChatStartInput(StrictInputSerializer):
    message = serializers.CharField(
        max_length=MAX_MESSAGE_LENGTH, help_text="The customer's first message"
    )
    name = serializers.CharField(required=False, allow_blank=True, max_length=200)
    email = serializers.CharField(required=False, allow_blank=True, max_length=320)
    visitor_id = serializers.RegexField(
        VISITOR_ID_RE,
        required=False,
        allow_blank=True,
        error_messages={"invalid": "Not a visitor id this server issued."},
        help_text="The visitor id of an earlier chat from this browser (the server issues it)",
    )

    def validate_email(self, value: str) -> str:
        if not value.strip():
            return ""
        try:
            return identities.normalize_email(value)
        except identities.InvalidIdentity as exc:
            raise serializers.ValidationError(exc.reason) from None


class ChatMessageInput(StrictInputSerializer):
    text = serializers.CharField(max_length=MAX_MESSAGE_LENGTH)


class ChatPollInput(StrictInputSerializer):
    after = serializers.IntegerField(
        required=False,
        default=0,
        min_value=0,
        max_value=MAX_DB_ID,
        help_text="Only messages with a greater id",
    )


class ChatMessageOutput(serializers.Serializer):
    """One message as the customer sees it: no internal fields, agents by display name."""

    id = serializers.IntegerField()
    sender = serializers.SerializerMethodField()
    author = serializers.SerializerMethodField()
    text = serializers.CharField(source="body_text")
    at = serializers.DateTimeField(source="occurred_at")
    survey = serializers.SerializerMethodField(
        help_text="A satisfaction survey's request: its links, for the widget's prompt"
    )

    def get_survey(self, interaction: Interaction) -> dict[str, str] | None:
        """The links of the survey this message asks (apps/feedback), else null. No query:
        the survey's id and scale are in the message's metadata, its links are signed ids."""
        from apps.feedback import links

        survey_id = (interaction.metadata or {}).get("survey")
        if not isinstance(survey_id, int) or interaction.author_agent_id:
            return None
        url = links.survey_url(survey_id)
        data = {"url": url, "opt_out_url": links.opt_out_url(survey_id)}
        if interaction.metadata.get("survey_scale") == "good_bad":
            data["good_url"], data["bad_url"] = f"{url}?rating=good", f"{url}?rating=bad"
        return data

    def get_sender(self, interaction: Interaction) -> str:
        if interaction.direction == Interaction.Direction.INBOUND:
            return "customer"
        return "agent" if interaction.author_agent_id else "system"

    def get_author(self, interaction: Interaction) -> str:
        agent = interaction.author_agent
        if interaction.direction == Interaction.Direction.INBOUND or agent is None:
            return ""
        profile = getattr(agent, "profile", None)
        return (profile.display_name if profile else "") or agent.first_name or "Agent"


class ChatSessionPublicOutput(serializers.Serializer):
    """The session as its visitor sees it."""

    id = serializers.IntegerField()
    status = serializers.CharField()
    ended_by = serializers.CharField()
    started_at = serializers.DateTimeField()
    ended_at = serializers.DateTimeField(allow_null=True)
    case = serializers.CharField(source="case.reference", help_text="The case reference")


class WidgetRefOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class ChatCaseOutput(serializers.Serializer):
    id = serializers.IntegerField()
    reference = serializers.CharField()
    subject = serializers.CharField()
    status = serializers.CharField()
    team = TeamRefOutput(allow_null=True)
    assignee = UserRefOutput(allow_null=True)


class EmailClaimOutput(serializers.Serializer):
    """The email the visitor typed: a claim until verified."""

    email = serializers.CharField(source="claimed_email")
    verified = serializers.SerializerMethodField()
    verified_at = serializers.DateTimeField(source="claim_verified_at", allow_null=True)
    verified_via = serializers.ChoiceField(
        source="claim_verified_via",
        choices=ChatSession.ClaimVerifiedVia.choices,
        help_text="agent (an agent confirmed it), email (the customer opened the link mailed "
        "to it), visitor (this browser's contact had the address already); empty "
        "while unverified",
    )
    link_sent_at = serializers.DateTimeField(source="claim_link_sent_at", allow_null=True)

    def get_verified(self, session: ChatSession) -> bool:
        return session.claim_verified_at is not None


class ChatSessionOutput(serializers.ModelSerializer):
    """A chat as agents and integrations see it."""

    widget = WidgetRefOutput()
    contact = ContactRefOutput()
    case = ChatCaseOutput()
    email_claim = serializers.SerializerMethodField(
        help_text="The email the visitor typed into the widget, or null. Unverified until "
        "`verified`: the chat's contact is the visitor's own until then."
    )

    class Meta:
        model = ChatSession
        fields = [
            "id",
            "status",
            "ended_by",
            "answered",
            "started_at",
            "ended_at",
            "last_customer_activity",
            "widget",
            "contact",
            "case",
            "email_claim",
        ]

    @extend_schema_field(EmailClaimOutput(allow_null=True))
    def get_email_claim(self, session: ChatSession) -> dict | None:
        return EmailClaimOutput(session).data if session.claimed_email else None
