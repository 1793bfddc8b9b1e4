"""Social channels: the accounts cxdesk answers for, and every event their webhooks delivered.

A SocialEvent row is written for each customer message (DM, comment, mention) before it is
turned into an interaction, so nothing a customer sent is lost: an event that cannot be read
or routed stays here, raw, with its error, and can be re-processed from the admin.
"""

from django.db import models
from django.db.models import Q

from apps.accounts.models import Team
from apps.cases.models import Case, Interaction
from apps.contacts.models import ContactIdentity
from apps.core.crypto import EncryptedTextField

Network = ContactIdentity.Network


class SocialAccount(models.Model):
    """A page, Instagram account, WhatsApp number or X account whose messages we handle.

    Inbound events are routed by (network, external_id): the id the network puts in the
    webhook (entry id / phone_number_id / for_user_id). Replies go out from the account the
    customer wrote to, with its access token.
    """

    NETWORKS = [(value, label) for value, label in Network.choices if value]

    network = models.CharField(max_length=20, choices=NETWORKS)
    external_id = models.CharField(
        max_length=64,
        help_text="Facebook Page id, Instagram professional account id, WhatsApp phone-number "
        "id, or X user id",
    )
    name = models.CharField(max_length=100)
    team = models.ForeignKey(
        Team,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="social_accounts",
        help_text="Team of new cases",
    )
    access_token = EncryptedTextField(
        blank=True,
        help_text="Page / Instagram / WhatsApp system-user token, or X OAuth 2.0 user token: "
        "used to send replies (stored encrypted)",
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["network", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["network", "external_id"], name="social_account_unique_per_network"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_network_display()}: {self.name}"


class SocialEvent(models.Model):
    """One customer message as the network delivered it, and what became of it."""

    class Status(models.TextChoices):
        RECEIVED = "received", "Received, not processed yet"
        PROCESSING = "processing", "Being processed"
        PROCESSED = "processed", "Processed into a case"
        IGNORED = "ignored", "Kept, not turned into a case (see reason)"
        FAILED = "failed", "Failed: kept raw, can be re-processed"

    class Kind(models.TextChoices):
        DM = "dm", "Direct message"
        COMMENT = "comment", "Comment"
        MENTION = "mention", "Mention"
        OTHER = "other", "Other / unreadable"

    network = models.CharField(max_length=20, choices=SocialAccount.NETWORKS)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    account_external_id = models.CharField(
        max_length=64, blank=True, help_text="The account id the event was sent to"
    )
    account = models.ForeignKey(
        SocialAccount, null=True, blank=True, on_delete=models.SET_NULL, related_name="events"
    )
    external_id = models.CharField(
        max_length=255, blank=True, help_text="The network's message / comment / tweet id"
    )
    payload = models.JSONField(help_text="The event exactly as delivered (with its context)")

    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RECEIVED)
    error = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)
    case = models.ForeignKey(
        Case, null=True, blank=True, on_delete=models.SET_NULL, related_name="social_events"
    )
    interaction = models.ForeignKey(
        Interaction,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="social_events",
    )
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [
            models.Index(fields=["status", "received_at"], name="social_event_status_idx"),
        ]
        constraints = [
            # A redelivered message finds its first row instead of making a second one.
            models.UniqueConstraint(
                fields=["network", "external_id"],
                condition=~Q(external_id=""),
                name="social_event_unique_message",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.network} {self.kind} {self.external_id or f'#{self.pk}'} ({self.status})"
