"""API shapes for cases and interactions: Input* validate what comes in, Output* what goes out.

No business rules here: the views hand validated data to the services.
"""

from django.contrib.auth import get_user_model
from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.accounts.models import Team
from apps.api.fields import JsonObjectField
from apps.api.serializers import FieldsBuiltOnceMixin, StrictInputSerializer
from apps.contacts.models import ContactIdentity
from apps.rootcauses.models import RootCause

from .models import EXTERNAL_ID_MAX_BYTES, Attachment, Case, Channel, Interaction, Tag

User = get_user_model()

MAX_TAGS = 50
MAX_CUSTOM_FIELDS = 100


class SocialIdentityInput(StrictInputSerializer):
    network = serializers.ChoiceField(choices=[c for c in ContactIdentity.Network.values if c])
    handle = serializers.CharField(max_length=100)


class IdentityInput(StrictInputSerializer):
    """Who someone is, by exactly one address: email, phone, social handle or chat visitor id."""

    email = serializers.CharField(required=False, max_length=320)
    phone = serializers.CharField(required=False, max_length=64)
    social = SocialIdentityInput(required=False)
    chat = serializers.CharField(required=False, max_length=200)
    name = serializers.CharField(required=False, allow_blank=True, max_length=200)

    KINDS = ("email", "phone", "social", "chat")

    def validate(self, attrs):
        given = [kind for kind in self.KINDS if kind in attrs]
        if len(given) != 1:
            raise serializers.ValidationError(
                {"non_field_errors": ["Give exactly one of email, phone, social or chat."]}
            )
        return attrs

    @staticmethod
    def identity_of(data: dict) -> dict:
        """Arguments for contacts.services.contact_find_or_create."""
        if "social" in data:
            return {
                "kind": "social",
                "network": data["social"]["network"],
                "value": data["social"]["handle"],
                "name": data.get("name", ""),
            }
        kind = next(k for k in IdentityInput.KINDS if k in data)
        return {"kind": kind, "value": data[kind], "name": data.get("name", "")}


def _validate_custom_fields(value: dict) -> dict:
    if len(value) > MAX_CUSTOM_FIELDS:
        raise serializers.ValidationError(f"At most {MAX_CUSTOM_FIELDS} custom fields.")
    for name in value:
        if not name or len(name) > 64:
            raise serializers.ValidationError("Custom field names are 1–64 characters.")
    return value


def validate_external_id(value: str) -> str:
    """A channel's message id is unique per channel in a btree index, which holds at most
    2,704 bytes a row on PostgreSQL: bound it in bytes, not only in characters."""
    # surrogatepass: a lone surrogate is refused by DRF's own validator, which runs after.
    size = len(value.encode("utf-8", "surrogatepass"))
    if size > EXTERNAL_ID_MAX_BYTES:
        raise serializers.ValidationError(
            f"At most {EXTERNAL_ID_MAX_BYTES} bytes in UTF-8 ({size} given)."
        )
    return value


class MessageInput(StrictInputSerializer):
    body_text = serializers.CharField(required=False, allow_blank=True, max_length=100_000)
    body_html = serializers.CharField(required=False, allow_blank=True, max_length=500_000)
    external_id = serializers.CharField(
        required=False, allow_blank=True, max_length=998, validators=[validate_external_id]
    )
    occurred_at = serializers.DateTimeField(required=False)
    metadata = JsonObjectField(required=False)

    def validate(self, attrs):
        if not (attrs.get("body_text") or attrs.get("body_html")):
            raise serializers.ValidationError({"body_text": ["Give body_text or body_html."]})
        return attrs


class RootCauseField(serializers.PrimaryKeyRelatedField):
    """A current root cause by id: an unknown id or a retired node is a 400 naming it."""

    default_error_messages = {
        **serializers.PrimaryKeyRelatedField.default_error_messages,
        "does_not_exist": "No root cause has the id {pk_value} (GET /api/v1/root-causes/).",
        "retired": "The root cause {path!r} is retired: choose a current one.",
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("queryset", RootCause.objects.all())
        kwargs.setdefault("required", False)
        kwargs.setdefault("allow_null", True)
        kwargs.setdefault(
            "help_text", "The root cause's id (GET /api/v1/root-causes/); null clears it"
        )
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        node = super().to_internal_value(data)
        if node.is_retired:
            self.fail("retired", path=node.path)
        return node


class CaseCreateInput(StrictInputSerializer):
    subject = serializers.CharField(max_length=255)
    requester = IdentityInput()
    channel = serializers.ChoiceField(choices=Channel.choices, default=Channel.API)
    priority = serializers.ChoiceField(choices=Case.Priority.choices, default=Case.Priority.NORMAL)
    team = serializers.PrimaryKeyRelatedField(
        queryset=Team.objects.all(), required=False, allow_null=True
    )
    assignee = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True), required=False, allow_null=True
    )
    tags = serializers.ListField(
        child=serializers.CharField(max_length=64), required=False, max_length=MAX_TAGS
    )
    custom_fields = JsonObjectField(required=False, validators=[_validate_custom_fields])
    root_cause = RootCauseField()
    message = MessageInput(required=False, help_text="The customer's first message")


class CaseUpdateInput(StrictInputSerializer):
    min_fields = 1  # see validate(); the schema says minProperties: 1

    subject = serializers.CharField(required=False, max_length=255)
    status = serializers.ChoiceField(choices=Case.Status.choices, required=False)
    priority = serializers.ChoiceField(choices=Case.Priority.choices, required=False)
    team = serializers.PrimaryKeyRelatedField(
        queryset=Team.objects.all(), required=False, allow_null=True
    )
    assignee = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True), required=False, allow_null=True
    )
    tags = serializers.ListField(
        child=serializers.CharField(max_length=64), required=False, max_length=MAX_TAGS
    )
    custom_fields = JsonObjectField(
        required=False,
        validators=[_validate_custom_fields],
        help_text="Merged into the case's fields; a null value removes a field.",
    )
    root_cause = RootCauseField()

    def validate(self, attrs):
        if not attrs:
            raise serializers.ValidationError(
                {"non_field_errors": ["Nothing to change: give at least one field."]}
            )
        return attrs


class InteractionCreateInput(StrictInputSerializer):
    TYPES = (
        ("message", "An inbound message from the customer (or `author`)"),
        ("reply", "A public answer from the authenticated agent"),
        ("note", "An internal note, never shown to the customer"),
    )
    NOT_ON_A_NOTE = ("channel", "external_id", "metadata", "occurred_at")

    type = serializers.ChoiceField(choices=TYPES)
    body_text = serializers.CharField(required=False, allow_blank=True, max_length=100_000)
    body_html = serializers.CharField(required=False, allow_blank=True, max_length=500_000)
    channel = serializers.ChoiceField(
        choices=Channel.choices,
        required=False,
        help_text="Defaults to the case's channel (not on a note)",
    )
    external_id = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=998,
        validators=[validate_external_id],
        help_text="The channel's message id: sent twice, "
        "stored once (not on a note); at most 998 "
        "bytes in UTF-8",
    )
    occurred_at = serializers.DateTimeField(
        required=False, help_text="Defaults to now (not on a note)"
    )
    metadata = JsonObjectField(
        required=False, help_text="Channel details, kept with the message or reply (not on a note)"
    )
    author = IdentityInput(
        required=False, help_text="For `message`: who wrote it (defaults to the requester)"
    )
    status = serializers.ChoiceField(
        choices=Case.Status.choices,
        required=False,
        help_text="For `reply`: the case's status afterwards",
    )

    def validate(self, attrs):
        if not (attrs.get("body_text") or attrs.get("body_html")):
            raise serializers.ValidationError({"body_text": ["Give body_text or body_html."]})
        if "author" in attrs and attrs["type"] != "message":
            raise serializers.ValidationError({"author": ["Only a message has an author."]})
        if "status" in attrs and attrs["type"] != "reply":
            raise serializers.ValidationError({"status": ["Only a reply sets a status."]})
        if attrs["type"] == "note":
            # A note is the agent's own text, written now: nothing of a channel to keep.
            given = sorted(set(self.NOT_ON_A_NOTE) & set(attrs))
            if given:
                raise serializers.ValidationError(
                    {name: ["A note does not take this field."] for name in given}
                )
        return attrs


class ContactRefOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class TeamRefOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class UserRefOutput(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.CharField(source="get_full_name")


class RootCauseRefOutput(serializers.Serializer):
    id = serializers.IntegerField()
    path = serializers.CharField(help_text="Category › cause › detail")
    retired = serializers.BooleanField(source="is_retired")


class CaseOutput(FieldsBuiltOnceMixin, serializers.ModelSerializer):
    reference = serializers.CharField(read_only=True)
    requester = ContactRefOutput()
    team = TeamRefOutput(allow_null=True)
    assignee = UserRefOutput(allow_null=True)
    tags = serializers.SerializerMethodField()
    root_cause = RootCauseRefOutput(allow_null=True)

    class Meta:
        model = Case
        fields = [
            "id",
            "reference",
            "subject",
            "status",
            "priority",
            "channel",
            "requester",
            "team",
            "assignee",
            "tags",
            "root_cause",
            "custom_fields",
            "created_at",
            "updated_at",
            "first_response_at",
            "solved_at",
            "closed_at",
            "reopen_count",
            "merged_into",
            "follow_up_of",
        ]

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_tags(self, case) -> list[str]:
        return sorted(tag.name for tag in case.tags.all())  # prefetched by the selector


class RootCauseSuggestionOutput(serializers.Serializer):
    root_cause = serializers.IntegerField(source="root_cause_id")
    path = serializers.CharField(source="root_cause.path", help_text="Category › cause")
    score = serializers.FloatField(
        help_text="0–1, higher is likelier (a softmax over the root causes, not a calibrated "
        "probability)"
    )


class CaseDetailOutput(CaseOutput):
    """One case: CaseOutput and the root causes the model suggests for it."""

    root_cause_suggestions = serializers.SerializerMethodField(
        help_text="Up to 3, best first; empty when no model is trained yet"
    )

    class Meta(CaseOutput.Meta):
        fields = [*CaseOutput.Meta.fields, "root_cause_suggestions"]

    @extend_schema_field(RootCauseSuggestionOutput(many=True))
    def get_root_cause_suggestions(self, case) -> list[dict]:
        # Prefetched by the view (current root causes only, by rank).
        return list(RootCauseSuggestionOutput(case.current_suggestions, many=True).data)


class AttachmentOutput(serializers.ModelSerializer):
    content_type = serializers.CharField(
        help_text="As the sender declared it; the download is always application/octet-stream"
    )
    download_url = serializers.SerializerMethodField(
        help_text="GET with the same credentials (cases:read) for the file's bytes"
    )

    class Meta:
        model = Attachment
        fields = ["id", "filename", "content_type", "size", "content_id", "download_url"]

    @extend_schema_field(serializers.URLField())
    def get_download_url(self, attachment) -> str:
        # attachment.interaction is the parent row, cached by the prefetch: no query.
        path = reverse(
            "api:case-interaction-attachment-download",
            kwargs={
                "case_pk": attachment.interaction.case_id,
                "pk": attachment.interaction_id,
                "attachment_pk": attachment.pk,
            },
        )
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path


class InteractionOutput(serializers.ModelSerializer):
    type = serializers.SerializerMethodField()
    author_contact = ContactRefOutput(allow_null=True)
    author_agent = UserRefOutput(allow_null=True)
    attachments = serializers.SerializerMethodField()

    class Meta:
        model = Interaction
        fields = [
            "id",
            "case",
            "type",
            "channel",
            "direction",
            "is_public",
            "author_contact",
            "author_agent",
            "subject",
            "body_text",
            "body_html",
            "external_id",
            "metadata",
            "occurred_at",
            "created_at",
            "delivery_status",
            "delivery_error",
            "delivery_attempts",
            "sent_at",
            "attachments",
        ]

    @extend_schema_field(serializers.ChoiceField(choices=["message", "reply", "note"]))
    def get_type(self, interaction) -> str:
        if not interaction.is_public:
            return "note"
        return "message" if interaction.direction == Interaction.Direction.INBOUND else "reply"

    @extend_schema_field(AttachmentOutput(many=True))
    def get_attachments(self, interaction) -> list[dict]:
        # Prefetched by the list view; sorted here so a single interaction's order is stable too.
        files = sorted(interaction.attachments.all(), key=lambda attachment: attachment.pk)
        return AttachmentOutput(files, many=True, context=self.context).data


class TagOutput(serializers.ModelSerializer):
    class Meta:
        model = Tag
        fields = ["id", "name"]
