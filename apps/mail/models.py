"""Email: the mailboxes cxdesk reads and sends from, and every raw message it received.

An InboundEmail row is written before anything is parsed, so nothing a customer sent is lost:
a message that fails to parse or ingest stays here, raw, with its error, and can be
re-processed from the admin.
"""

from django.db import models
from django.db.models import Q

from apps.accounts.models import Team
from apps.cases.models import Case, Interaction
from apps.core.crypto import EncryptedTextField


class Mailbox(models.Model):
    """A support address: polled over IMAP (optional) and used as the sender of replies."""

    class Security(models.TextChoices):
        SSL = "ssl", "TLS (IMAPS, port 993)"
        STARTTLS = "starttls", "STARTTLS (port 143)"
        NONE = "none", "None — plain text (only with allow_insecure)"

    class Auth(models.TextChoices):
        PASSWORD = "password", "Password"
        XOAUTH2 = "xoauth2", "OAuth2 (XOAUTH2: Microsoft 365, Google)"

    name = models.CharField(max_length=100)
    email_address = models.EmailField(
        unique=True, help_text="Customers write here; replies are sent from it"
    )
    team = models.ForeignKey(
        Team,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="mailboxes",
        help_text="Team of new cases",
    )
    is_active = models.BooleanField(default=True)

    # IMAP (leave imap_host empty for a mailbox fed only by webhooks or raw uploads)
    imap_host = models.CharField(max_length=255, blank=True)
    imap_port = models.PositiveIntegerField(default=993)
    imap_security = models.CharField(max_length=10, choices=Security.choices, default=Security.SSL)
    allow_insecure = models.BooleanField(
        default=False,
        help_text="Allow IMAP without TLS. Passwords then cross the network "
        "in clear: only for a server on a trusted network.",
    )
    imap_username = models.CharField(max_length=255, blank=True)
    auth_method = models.CharField(max_length=10, choices=Auth.choices, default=Auth.PASSWORD)
    imap_password = EncryptedTextField(blank=True)
    oauth2_token_url = models.URLField(blank=True)
    oauth2_client_id = models.CharField(max_length=255, blank=True)
    oauth2_client_secret = EncryptedTextField(blank=True)
    oauth2_refresh_token = EncryptedTextField(blank=True)
    oauth2_access_token = EncryptedTextField(blank=True)
    oauth2_expires_at = models.DateTimeField(null=True, blank=True)
    imap_folder = models.CharField(max_length=255, default="INBOX")
    processed_folder = models.CharField(
        max_length=255,
        blank=True,
        help_text="Move ingested messages here (never deleted); empty: leave them in place",
    )

    # Where polling got to: messages with UID > last_uid in this UIDVALIDITY are new.
    uidvalidity = models.BigIntegerField(null=True, blank=True)
    last_uid = models.BigIntegerField(default=0)
    last_polled_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "mailboxes"
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(imap_security="none") | Q(allow_insecure=True),
                name="mailbox_plain_imap_needs_allow_insecure",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} <{self.email_address}>"


class InboundEmail(models.Model):
    """One raw message as received, and what became of it."""

    class Status(models.TextChoices):
        RECEIVED = "received", "Received, not processed yet"
        PROCESSED = "processed", "Processed into a case"
        DUPLICATE = "duplicate", "Duplicate of a message already processed"
        FAILED = "failed", "Failed: kept raw, can be re-processed"

    class Source(models.TextChoices):
        IMAP = "imap", "IMAP mailbox"
        UPLOAD = "upload", "Raw upload (MTA pipe / API)"
        WEBHOOK = "webhook", "Email provider webhook"

    mailbox = models.ForeignKey(
        Mailbox, null=True, blank=True, on_delete=models.SET_NULL, related_name="inbound_emails"
    )
    source = models.CharField(max_length=10, choices=Source.choices)
    provider = models.CharField(max_length=50, blank=True, help_text="e.g. mailgun, postmark")
    raw = models.BinaryField(help_text="The message exactly as received (RFC 5322 bytes)")
    raw_sha256 = models.CharField(max_length=64, db_index=True)
    message_id = models.CharField(max_length=998, blank=True, db_index=True)
    imap_uidvalidity = models.BigIntegerField(null=True, blank=True)
    imap_uid = models.BigIntegerField(null=True, blank=True)

    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RECEIVED)
    error = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(
        default=0, help_text="Processing attempts started (counted before each one runs)"
    )
    is_auto_reply = models.BooleanField(default=False)
    is_bounce = models.BooleanField(default=False)
    case = models.ForeignKey(
        Case, null=True, blank=True, on_delete=models.SET_NULL, related_name="inbound_emails"
    )
    interaction = models.ForeignKey(
        Interaction, null=True, blank=True, on_delete=models.SET_NULL, related_name="inbound_emails"
    )
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at"]
        indexes = [
            models.Index(fields=["status", "-received_at"], name="inbound_email_status_idx"),
            # The stale sweep: unprocessed rows, fewest attempts first, then oldest.
            models.Index(
                fields=["attempts", "received_at", "id"],
                condition=Q(status="received"),
                name="inbound_email_stale_idx",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["mailbox", "imap_uidvalidity", "imap_uid"],
                condition=Q(imap_uid__isnull=False),
                name="inbound_email_unique_imap_uid",
            ),
        ]

    def __str__(self) -> str:
        return (
            f"{self.get_source_display()} {self.message_id or self.raw_sha256[:12]} ({self.status})"
        )
