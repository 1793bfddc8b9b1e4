import re
import secrets

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from apps.accounts.models import Team, role_of
from apps.contacts.models import Contact

REFERENCE_PREFIX = "CX"
_reference_re = re.compile(rf"\b{REFERENCE_PREFIX}-(\d{{1,12}})\b", re.IGNORECASE)


def parse_reference(text: str) -> int | None:
    """The case id in a reference such as "CX-000123" found anywhere in `text`, else None."""
    match = _reference_re.search(text or "")
    return int(match.group(1)) if match else None


class Channel(models.TextChoices):
    EMAIL = "email", "Email"
    CHAT = "chat", "Chat"
    PHONE = "phone", "Phone"
    SOCIAL = "social", "Social"
    WEB = "web", "Web"
    API = "api", "API"


class Tag(models.Model):
    """A free tag (distinct from root causes). Stored lower-case, unique."""

    name = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


# The statuses of a case still being worked (Case.DONE_STATUSES are the others), spelled
# out for the queue views' partial indexes: PostgreSQL matches a query's `status IN (…)`
# to an index's condition, never a `NOT IN`.
OPEN_STATUSES = ("new", "open", "pending", "on_hold")


class CaseQuerySet(models.QuerySet["Case"]):
    def open(self) -> "CaseQuerySet":
        return self.exclude(status__in=Case.DONE_STATUSES)

    def visible_to(self, user) -> "CaseQuerySet":
        """Admins see every case; agents and supervisors their teams' cases and their own;
        stakeholders none (they see figures and PII-free lists: apps/accounts/confinement.py)."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        role = role_of(user)
        if role == "admin":
            return self
        if role == "stakeholder":
            return self.none()
        return self.filter(Q(team__in=user.teams.values("pk")) | Q(assignee=user))

    def for_contact(self, contact: Contact) -> "CaseQuerySet":
        return self.filter(requester=contact)


class Case(models.Model):
    """One customer problem, from first contact to closure, across channels."""

    class Status(models.TextChoices):
        NEW = "new", "New"
        OPEN = "open", "Open"
        PENDING = "pending", "Pending"
        ON_HOLD = "on_hold", "On hold"
        SOLVED = "solved", "Solved"
        CLOSED = "closed", "Closed"

    class Priority(models.TextChoices):
        LOW = "low", "Low"
        NORMAL = "normal", "Normal"
        HIGH = "high", "High"
        URGENT = "urgent", "Urgent"

    DONE_STATUSES = (Status.SOLVED, Status.CLOSED)
    # Only services.case_transition (and the merge, which closes the merged case) changes status.
    ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
        Status.NEW: frozenset({Status.OPEN, Status.PENDING, Status.ON_HOLD, Status.SOLVED}),
        Status.OPEN: frozenset({Status.PENDING, Status.ON_HOLD, Status.SOLVED}),
        Status.PENDING: frozenset({Status.OPEN, Status.ON_HOLD, Status.SOLVED}),
        Status.ON_HOLD: frozenset({Status.OPEN, Status.PENDING, Status.SOLVED}),
        Status.SOLVED: frozenset({Status.OPEN, Status.CLOSED}),
        Status.CLOSED: frozenset(),
    }

    subject = models.CharField(max_length=255)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.NEW)
    priority = models.CharField(max_length=10, choices=Priority.choices, default=Priority.NORMAL)
    channel = models.CharField(
        max_length=10, choices=Channel.choices, help_text="Channel of the first contact"
    )
    requester = models.ForeignKey(Contact, on_delete=models.PROTECT, related_name="cases")
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_cases",
    )
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="cases"
    )
    tags = models.ManyToManyField(Tag, blank=True, related_name="cases")
    # Why the customer contacted us: a node of the taxonomy (apps/rootcauses), set through
    # services.case_set_root_cause. PROTECT: a node with cases is retired, never deleted.
    root_cause = models.ForeignKey(
        "rootcauses.RootCause",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
    )
    custom_fields = models.JSONField(default=dict, blank=True)

    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    first_response_at = models.DateTimeField(null=True, blank=True)
    solved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    reopen_count = models.PositiveIntegerField(default=0)
    # Kept by the SLA engine (apps/sla): the soonest due instant of the case's running clocks,
    # for queues sorted by it, and the `updated_at` its clocks were last computed from — a case
    # written since (updated_at later) is recomputed by the sweep when its task was lost.
    next_breach_at = models.DateTimeField(null=True, blank=True)
    sla_computed_at = models.DateTimeField(null=True, blank=True, editable=False)

    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="merged_cases"
    )
    follow_up_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="follow_ups"
    )

    objects = CaseQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            # Team and personal queues: filter by owner and status, newest activity first.
            models.Index(fields=["team", "status", "-updated_at"], name="case_team_queue_idx"),
            models.Index(
                fields=["assignee", "status", "-updated_at"], name="case_assignee_queue_idx"
            ),
            models.Index(fields=["status", "-created_at"], name="case_status_created_idx"),
            models.Index(fields=["requester", "-created_at"], name="case_requester_idx"),
            models.Index(fields=["-created_at"], name="case_created_idx"),
            # The case list's first page (newest first) filtered by team or by assignee: a
            # filter on a small team or one agent finds its 50 cases without walking the
            # whole backlog.
            models.Index(fields=["team", "-created_at"], name="case_team_created_idx"),
            models.Index(fields=["assignee", "-created_at"], name="case_assignee_created_idx"),
            models.Index(fields=["-updated_at"], name="case_updated_idx"),
            models.Index(fields=["priority", "status"], name="case_priority_idx"),
            models.Index(fields=["channel", "-created_at"], name="case_channel_idx"),
            # A root cause's cases by day (apps/rootcauses selectors.daily_counts, the spike
            # test): the last 29 days of each cause, an index-only range per cause.
            models.Index(fields=["root_cause", "created_at"], name="case_root_cause_created_idx"),
            # The auto-close sweep: solved cases by solve time.
            models.Index(fields=["status", "solved_at"], name="case_solved_sweep_idx"),
            # Queues sorted by the next SLA breach, and the SLA sweep's cases to recompute.
            # (With the id: the queue's keyset pages past the cases with a clock — "all" —
            # walk `next_breach_at IS NULL AND id > …` in index order instead of sorting
            # every case without a clock; apps/cases/queues.py.)
            models.Index(fields=["next_breach_at", "id"], name="case_next_breach_idx"),
            models.Index(
                fields=["updated_at"],
                condition=Q(sla_computed_at__isnull=True) | Q(updated_at__gt=F("sla_computed_at")),
                name="case_sla_dirty_idx",
            ),
            # The agent's queue views (apps/cases/queues.py): open cases of a team, or of one
            # assignee, by next breach — their lists, keyset pages and counts read only the
            # open backlog, however many solved and closed cases the team has had.
            models.Index(
                fields=["team", "next_breach_at", "id"],
                condition=Q(status__in=OPEN_STATUSES),
                name="case_open_team_breach_idx",
            ),
            models.Index(
                fields=["assignee", "next_breach_at", "id"],
                condition=Q(status__in=OPEN_STATUSES),
                name="case_open_assignee_breach_idx",
            ),
            # "My teams' unassigned": without it PostgreSQL ANDs every unassigned open case
            # with every case the team ever had (the team_id index).
            models.Index(
                fields=["team", "next_breach_at", "id"],
                condition=Q(status__in=OPEN_STATUSES, assignee__isnull=True),
                name="case_open_unassigned_idx",
            ),
            # "Pending" of a team: pending cases have no running clock (NULL, last in the
            # other indexes' order), so by case_open_team_breach_idx a page of them came
            # after every other open case of the team (bench/agent_pages.py at 1M cases).
            models.Index(
                fields=["team", "next_breach_at", "id"],
                condition=Q(status="pending"),
                name="case_pending_team_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(merged_into=models.F("id")), name="case_not_merged_into_itself"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.subject}"

    @property
    def reference(self) -> str:
        return f"{REFERENCE_PREFIX}-{self.pk:06d}" if self.pk else f"{REFERENCE_PREFIX}-?"

    def can_transition_to(self, status: str) -> bool:
        return status in self.ALLOWED_TRANSITIONS[self.status]


# A channel's message id is unique per channel in a btree index; PostgreSQL holds at most
# 2,704 bytes an index row, so ids are bounded in UTF-8 bytes (email keys longer Message-IDs
# first: apps.mail.references.message_id_key).
EXTERNAL_ID_MAX_BYTES = 998


class Interaction(models.Model):
    """One message or contact inside a case: an email, chat message, call, social post, note."""

    class Direction(models.TextChoices):
        INBOUND = "in", "Inbound"
        OUTBOUND = "out", "Outbound"

    Channel = Channel

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="interactions")
    channel = models.CharField(max_length=10, choices=Channel.choices)
    direction = models.CharField(max_length=3, choices=Direction.choices)
    is_public = models.BooleanField(
        default=True, help_text="False for an internal note the customer never sees"
    )
    author_contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.PROTECT, related_name="interactions"
    )
    author_agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="interactions",
    )
    subject = models.CharField(max_length=998, blank=True)
    body_text = models.TextField(blank=True)
    body_html = models.TextField(blank=True, help_text="Sanitised HTML (nh3)")
    # The channel's own id (Message-ID, call SID, social message id): one interaction each.
    external_id = models.CharField(max_length=998, blank=True, default="")
    metadata = models.JSONField(default=dict, blank=True)
    # An email's fold (apps/cases/quoting.py fold_points: where its quoted history and
    # signature start), kept at ingest; None: not an email, or stored before it was kept.
    quote_fold = models.JSONField(null=True, blank=True, editable=False)
    occurred_at = models.DateTimeField(default=timezone.now)
    created_at = models.DateTimeField(auto_now_add=True)

    # Outbound messages on a channel with a sender (email, social …) are sent by Celery:
    # see apps/cases/outbound.py. Empty for inbound messages, notes and calls.
    class Delivery(models.TextChoices):
        NONE = "", "—"
        PENDING = "pending", "Waiting to be sent"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    delivery_status = models.CharField(
        max_length=10, choices=Delivery.choices, blank=True, default=""
    )
    delivery_attempts = models.PositiveSmallIntegerField(default=0)
    delivery_error = models.TextField(blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["occurred_at", "id"]
        indexes = [
            models.Index(fields=["case", "occurred_at"], name="interaction_timeline_idx"),
            # The supervisor console's "replies today" per agent and team: the public
            # outbound messages of one day, an index range with their author and case.
            models.Index(
                fields=["occurred_at"],
                include=["author_agent", "case"],
                condition=Q(direction="out", is_public=True),
                name="interaction_reply_day_idx",
            ),
            models.Index(
                fields=["delivery_status", "next_attempt_at"],
                condition=Q(delivery_status__in=["pending", "sending"]),
                name="interaction_outbox_idx",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "external_id"],
                condition=~Q(external_id=""),
                name="interaction_external_id_unique_per_channel",
            ),
            models.CheckConstraint(
                condition=Q(author_contact__isnull=True) | Q(author_agent__isnull=True),
                name="interaction_one_author",
            ),
        ]

    def __str__(self) -> str:
        kind = "note" if not self.is_public else self.get_direction_display().lower()
        return f"{self.channel} {kind} on case #{self.case_id}"

    # What the timeline shows of `metadata` (templates/cases/case/interaction.html), read
    # here: a template lookup of a key the dict lacks (most messages have none of these)
    # fails through an exception and a dir() of the dict, each time, on every message.
    def _metadata_key(self, key: str):
        return self.metadata.get(key) if isinstance(self.metadata, dict) else None

    @property
    def social_network(self) -> str:
        return self._metadata_key("network") or ""

    @property
    def social_handle(self) -> str:
        return self._metadata_key("sender_handle") or ""

    @property
    def attachments_skipped(self) -> list:
        """The files of the message that were not stored (apps/mail: too big, refused)."""
        return self._metadata_key("attachments_skipped") or []


def attachment_storage_name() -> str:
    """A new storage path for an attachment: `attachments/<yyyy>/<mm>/<32 random hex>`.

    Nothing of the sender's filename (nor its extension) is in it: the path can be neither
    guessed nor made to look like a page or a script, whatever serves MEDIA_ROOT. The
    original name is kept in `Attachment.filename`; files are served by the download views
    only (apps/cases/downloads.py).
    """
    return timezone.now().strftime("attachments/%Y/%m/") + secrets.token_hex(16)


def attachment_upload_to(instance: "Attachment", filename: str) -> str:
    return attachment_storage_name()


class Attachment(models.Model):
    """A file a message carried. `content_type` is what the sender declared: shown to agents,
    never used to serve the file (downloads are application/octet-stream)."""

    interaction = models.ForeignKey(
        Interaction, on_delete=models.CASCADE, related_name="attachments"
    )
    file = models.FileField(upload_to=attachment_upload_to, max_length=500)
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=255, default="application/octet-stream")
    size = models.PositiveBigIntegerField()
    # Content-ID of an inline image, referenced from the HTML body as cid:…
    content_id = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.filename} ({self.size} bytes)"


class CaseEvent(models.Model):
    """Append-only audit trail: who changed what on a case, from what, to what, when.

    Written only by the services, in the same transaction as the change it records.
    `actor` is the agent; `actor_contact` the customer; neither means the system.
    """

    class Kind(models.TextChoices):
        CREATED = "created", "Created"
        STATUS = "status", "Status changed"
        REOPENED = "reopened", "Reopened"
        PRIORITY = "priority", "Priority changed"
        ASSIGNEE = "assignee", "Assignee changed"
        TEAM = "team", "Team changed"
        TAGS = "tags", "Tags changed"
        ROOT_CAUSE = "root_cause", "Root cause changed"
        SUBJECT = "subject", "Subject changed"
        CUSTOM_FIELDS = "custom_fields", "Custom fields changed"
        INTERACTION = "interaction", "Interaction added"
        REQUESTER = "requester", "Requester changed"
        MERGED_INTO = "merged_into", "Merged into another case"
        MERGED_FROM = "merged_from", "Another case merged in"
        FOLLOW_UP = "follow_up", "Follow-up case opened"
        # An email from a sender the referenced case does not know quoted its reference: a
        # new case was opened instead; both record the link (apps/mail/services.py).
        UNVERIFIED_REFERENCE = "unverified_reference", "Linked by an unverified sender's reference"
        # Listed under a problem, or taken off one (apps/problems/services.py).
        PROBLEM = "problem", "Problem link changed"

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "id"]
        indexes = [
            models.Index(fields=["case", "at"], name="case_event_timeline_idx"),
            models.Index(fields=["kind", "at"], name="case_event_kind_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on case #{self.case_id} at {self.at:%Y-%m-%d %H:%M}"


class SavedView(models.Model):
    """An agent's own queue view: a name for a set of filters and a sort (the queue page's
    GET parameters, as apps/cases/views_queue.py normalises them)."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_views"
    )
    name = models.CharField(max_length=80)
    query = models.CharField(max_length=2000, help_text="URL-encoded filters, sort and view")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "name"], name="saved_view_name_unique"),
        ]

    def __str__(self) -> str:
        return self.name


# Checked at import: the open statuses are every status but the done ones.
assert set(OPEN_STATUSES) == set(Case.Status.values) - set(Case.DONE_STATUSES)
