"""Phone calls: one row per call (provider CallSid), beside the phone Interaction it shows as.

The Call keeps what a telephony provider reports (status, answer and end times, duration,
recording) and what the agent adds (disposition, notes). The Interaction (channel "phone",
external_id = sid) puts the call on the case's timeline; services.call_record keeps the two
in step.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from apps.cases.models import Case, Interaction
from apps.contacts.models import Contact


class CallQuerySet(models.QuerySet["Call"]):
    def visible_to(self, user) -> "CallQuerySet":
        """Calls on the cases the user may see (the rule is Case.objects.visible_to)."""
        cases = Case.objects.visible_to(user)
        if not cases.query.has_filters():
            return self  # admins see every case: no subquery over the whole case table
        return self.filter(case__in=cases.values("pk"))


class Call(models.Model):
    """One phone call with a customer, inbound or outbound, on one case."""

    class Direction(models.TextChoices):
        INBOUND = "inbound", "Inbound"
        OUTBOUND = "outbound", "Outbound"

    class Status(models.TextChoices):
        # Twilio's call statuses ("initiated" is stored as queued).
        QUEUED = "queued", "Queued"
        RINGING = "ringing", "Ringing"
        IN_PROGRESS = "in-progress", "In progress"
        COMPLETED = "completed", "Completed"
        BUSY = "busy", "Busy"
        NO_ANSWER = "no-answer", "No answer"
        FAILED = "failed", "Failed"
        CANCELED = "canceled", "Canceled"

    class Disposition(models.TextChoices):
        """How the call ended for the customer, set by the agent (or inferred: voicemail)."""

        NONE = "", "—"
        RESOLVED = "resolved", "Resolved"
        CALLBACK_NEEDED = "callback_needed", "Callback needed"
        VOICEMAIL = "voicemail", "Voicemail"
        ESCALATED = "escalated", "Escalated"
        TRANSFERRED = "transferred", "Transferred"
        WRONG_NUMBER = "wrong_number", "Wrong number"
        SPAM = "spam", "Spam"
        OTHER = "other", "Other"

    FINAL_STATUSES = frozenset(
        {Status.COMPLETED, Status.BUSY, Status.NO_ANSWER, Status.FAILED, Status.CANCELED}
    )
    ANSWERED_STATUSES = frozenset({Status.IN_PROGRESS, Status.COMPLETED})
    # Status only moves forward: a late or repeated provider callback never moves it back.
    STATUS_RANK: dict[str, int] = {
        Status.QUEUED: 0,
        Status.RINGING: 1,
        Status.IN_PROGRESS: 2,
        **{s: 3 for s in FINAL_STATUSES},
    }

    sid = models.CharField(
        max_length=64, unique=True, help_text="The provider's call id (Twilio CallSid)"
    )
    provider = models.CharField(
        max_length=32, default="api", help_text="twilio, manual (logged by hand), api …"
    )
    direction = models.CharField(max_length=8, choices=Direction.choices)
    # E.164. The customer's side is always a number; ours may be blank (a softphone client).
    from_number = models.CharField(max_length=32, blank=True)
    to_number = models.CharField(max_length=32, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.QUEUED)
    started_at = models.DateTimeField(default=timezone.now)
    answered_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    duration_seconds = models.PositiveIntegerField(
        null=True, blank=True, help_text="Talk time, from answer to hang-up"
    )
    disposition = models.CharField(
        max_length=20, choices=Disposition.choices, blank=True, default=""
    )
    answered_by = models.CharField(
        max_length=32, blank=True, help_text="Answering-machine detection: human, machine_start …"
    )
    recording_url = models.URLField(max_length=1000, blank=True)
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="phone_calls",
        help_text="Who answered an inbound call or placed an outbound one",
    )
    notes = models.TextField(blank=True)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="calls")
    interaction = models.OneToOneField(
        Interaction, null=True, blank=True, on_delete=models.SET_NULL, related_name="call"
    )
    contact = models.ForeignKey(Contact, on_delete=models.PROTECT, related_name="phone_calls")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    objects = CallQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # The API list (cursor on created_at), a case's calls, a person's calls.
            models.Index(fields=["-created_at"], name="call_created_idx"),
            models.Index(fields=["case", "-created_at"], name="call_case_idx"),
            models.Index(fields=["contact", "-created_at"], name="call_contact_idx"),
            # An agent's calls (handle time), calls by outcome.
            models.Index(fields=["agent", "-started_at"], name="call_agent_idx"),
            models.Index(fields=["status", "-created_at"], name="call_status_idx"),
            # "Every call with this number".
            models.Index(fields=["from_number"], name="call_from_idx"),
            models.Index(fields=["to_number"], name="call_to_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(direction__in=["inbound", "outbound"]), name="call_direction_valid"
            ),
        ]

    def __str__(self) -> str:
        number = self.customer_number
        return f"{self.get_direction_display()} call {number} ({self.status})"

    @property
    def customer_number(self) -> str:
        """The customer's side: who called us, or whom we called."""
        return self.from_number if self.direction == self.Direction.INBOUND else self.to_number

    @property
    def was_answered(self) -> bool:
        return self.answered_at is not None or self.status in self.ANSWERED_STATUSES

    @property
    def is_final(self) -> bool:
        return self.status in self.FINAL_STATUSES
