"""Chat: the website widgets customers chat through, and each chat session.

A ChatWidget is one embed (one site, one team): its `public_key` goes in the one-line snippet
and is no secret; `allowed_origins` says which web pages may use it from a browser. A
ChatSession is one conversation of a visitor through a widget: it opened a case, and its
transcript is the case's public chat interactions (see services.py).
"""

import secrets
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone

from apps.accounts.models import Team
from apps.cases.models import Case
from apps.contacts.models import Contact

PUBLIC_KEY_PREFIX = "cw_"
DEFAULT_PORTS = {"http": 80, "https": 443}


def new_public_key() -> str:
    return PUBLIC_KEY_PREFIX + secrets.token_urlsafe(18)


def normalize_origin(value: str) -> str | None:
    """`scheme://host[:port]` in lower case without a default port, or None if not an origin.

    Browsers send the Origin header in this form; stored origins are compared after the same
    normalisation, so "https://Shop.example.com:443/" allows "https://shop.example.com".
    """
    try:
        parts = urlsplit((value or "").strip())
        port = parts.port
    except ValueError:
        return None
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    if scheme not in DEFAULT_PORTS or not host:
        return None
    if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username:
        return None
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    return f"{scheme}://{host}" + (f":{port}" if port and port != DEFAULT_PORTS[scheme] else "")


def validate_allowed_origins(value) -> None:
    if not isinstance(value, list):
        raise ValidationError('A list of origins, e.g. ["https://shop.example.com"].')
    bad = [item for item in value if not isinstance(item, str) or normalize_origin(item) is None]
    if bad:
        raise ValidationError(
            "Not an origin (scheme://host[:port], http or https, no path): "
            + ", ".join(repr(item) for item in bad)
        )


class ChatWidget(models.Model):
    """One embeddable chat widget: where it may run and which team its chats go to."""

    name = models.CharField(max_length=100, help_text="Shown in the widget's title bar")
    public_key = models.CharField(
        max_length=40,
        unique=True,
        default=new_public_key,
        editable=False,
        help_text="The data-widget-key of the embed snippet (public, not a secret)",
    )
    team = models.ForeignKey(
        Team,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="chat_widgets",
        help_text="Team of new cases",
    )
    allowed_origins = models.JSONField(
        default=list,
        blank=True,
        validators=[validate_allowed_origins],
        help_text='Web pages allowed to use the widget, e.g. ["https://shop.example.com"]. '
        "cxdesk's own demo page is always allowed.",
    )
    is_active = models.BooleanField(
        default=True, help_text="Inactive: no new chats start (chats under way may finish)"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def allows_origin(self, origin: str) -> bool:
        wanted = normalize_origin(origin)
        return wanted is not None and any(
            normalize_origin(item) == wanted for item in self.allowed_origins or ()
        )


class ChatSession(models.Model):
    """One chat of a visitor through a widget, from start to end."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        ENDED = "ended", "Ended"

    class EndedBy(models.TextChoices):
        NONE = "", "—"
        CUSTOMER = "customer", "Customer"
        AGENT = "agent", "Agent"
        TIMEOUT = "timeout", "Timeout (customer idle)"

    class ClaimVerifiedVia(models.TextChoices):
        NONE = "", "—"
        AGENT = "agent", "An agent confirmed it"
        EMAIL = "email", "The customer confirmed from that mailbox"
        VISITOR = "visitor", "This browser's visitor already had that address"

    widget = models.ForeignKey(ChatWidget, on_delete=models.PROTECT, related_name="sessions")
    # The case the chat's messages go to; follows the conversation when a message is redirected
    # (a follow-up of a closed case, the target of a merge).
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="chat_sessions")
    contact = models.ForeignKey(Contact, on_delete=models.PROTECT, related_name="chat_sessions")
    visitor_id = models.CharField(max_length=200)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    started_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)
    # A message, or the widget's polling (refreshed at most once a minute): the idle sweep
    # ends chats whose customer has shown no sign of life for CXDESK_CHAT_IDLE_MINUTES.
    last_customer_activity = models.DateTimeField(default=timezone.now)
    answered = models.BooleanField(default=False, help_text="An agent replied in this chat")
    ended_by = models.CharField(max_length=10, choices=EndedBy.choices, blank=True, default="")
    # An email typed into the widget is the visitor's claim, not a fact: anyone can type
    # anyone's address. It stays here, shown to agents as unverified, and joins the visitor
    # to the address's contact only once verified (services.chat_claim_verify).
    claimed_email = models.CharField(
        max_length=320, blank=True, default="", help_text="Email the visitor typed (normalised)"
    )
    claim_verified_at = models.DateTimeField(null=True, blank=True)
    claim_verified_via = models.CharField(
        max_length=10, choices=ClaimVerifiedVia.choices, blank=True, default=""
    )
    claim_verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The agent who confirmed the claim (via agent)",
    )
    # When the confirmation link was mailed to the claimed address (once per chat).
    claim_link_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [
            # The idle sweep: active chats by last sign of life.
            models.Index(fields=["status", "last_customer_activity"], name="chat_session_idle_idx"),
            # Agents' list of active chats, newest first.
            models.Index(fields=["status", "-started_at"], name="chat_session_status_idx"),
            # A case's chats (FCR counting, the outbound sender).
            models.Index(fields=["case", "started_at"], name="chat_session_case_idx"),
            # The claim-link sweep: claims whose link is not mailed yet, by start (few rows).
            models.Index(
                fields=["started_at"],
                name="chat_session_claim_link_idx",
                condition=Q(claim_link_sent_at__isnull=True, claim_verified_at__isnull=True)
                & ~Q(claimed_email=""),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(Q(status="active") & Q(ended_at__isnull=True) & Q(ended_by=""))
                | (Q(status="ended") & Q(ended_at__isnull=False) & ~Q(ended_by="")),
                name="chat_session_end_consistent",
            ),
        ]

    def __str__(self) -> str:
        return f"Chat #{self.pk} ({self.status}) on case #{self.case_id}"

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE

    @property
    def claim_pending(self) -> bool:
        """The visitor typed an email that is not verified yet."""
        return bool(self.claimed_email) and self.claim_verified_at is None
