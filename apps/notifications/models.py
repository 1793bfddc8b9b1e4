from django.conf import settings
from django.db import models
from django.db.models import Q


class Notification(models.Model):
    """Something a user should know about, shown in the app until read: SLA warnings and
    breaches (to the case's team supervisors and its assignee), a case assigned to you, a
    customer's reply on your case, a mention in a note, a spike of a root cause your team
    owns (about no case: its `link` is the spikes page)."""

    class Kind(models.TextChoices):
        SLA_WARNING = "sla_warning", "SLA target at risk"
        SLA_BREACHED = "sla_breached", "SLA target breached"
        ASSIGNED = "assigned", "Assigned to you"
        CUSTOMER_REPLIED = "customer_replied", "Customer replied"
        MENTIONED = "mentioned", "Mentioned in a note"
        ROOT_CAUSE_SPIKE = "root_cause_spike", "Root-cause spike"
        BAD_RATING = "bad_rating", "Bad customer rating"

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    case = models.ForeignKey(
        "cases.Case", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    text = models.CharField(max_length=500)
    # Where following a notice about no case goes: a path on this site ("/root-causes/…"),
    # set by the service that writes it; blank: the notification list.
    link = models.CharField(max_length=200, blank=True, default="")
    # What it is about, so that it is written once however often it is announced: the
    # CaseEvent, interaction or SLA clock (`event:12`, `interaction:34`, `clock:56`); blank
    # for none (unique per recipient and kind when set).
    source = models.CharField(max_length=64, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    # Also e-mailed to the recipient (an outbox: apps/notifications/services.py EMAILS).
    class Email(models.TextChoices):
        NONE = "", "—"
        PENDING = "pending", "Waiting to be sent"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    email_status = models.CharField(max_length=10, choices=Email.choices, blank=True, default="")
    email_attempts = models.PositiveSmallIntegerField(default=0)
    email_error = models.TextField(blank=True)
    email_next_attempt_at = models.DateTimeField(null=True, blank=True)
    email_claimed_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "kind", "source"],
                condition=~Q(source=""),
                name="notification_once_per_source",
            )
        ]
        indexes = [
            models.Index(fields=["recipient", "-created_at"], name="notification_inbox_idx"),
            models.Index(
                fields=["recipient"],
                condition=Q(read_at__isnull=True),
                name="notification_unread_idx",
            ),
            models.Index(
                fields=["email_status", "email_next_attempt_at"],
                condition=Q(email_status__in=["pending", "sending"]),
                name="notification_email_outbox_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for {self.recipient_id}: {self.text}"
