"""The console's daily rollups: what the supervisors' reports count per day, team, channel
and priority (apps/console/rollups.py says how they stay exact)."""

from django.conf import settings
from django.db import models

from apps.accounts.models import Team
from apps.cases.models import Case, Channel


class VolumeRollupDay(models.Model):
    """A day whose volume figures are rolled up: the instants [start, end) are a day of
    TIME_ZONE when it was built; a change since is a mark until the day is built again."""

    day = models.DateField()
    start = models.DateTimeField(unique=True)
    end = models.DateTimeField()
    built_at = models.DateTimeField()

    class Meta:
        ordering = ["start"]
        indexes = [models.Index(fields=["end"], name="volume_rollup_day_end_idx")]

    def __str__(self) -> str:
        return f"Volume rollup of {self.day}"


class VolumeRollupMark(models.Model):
    """The volume figures of the days holding instants [start, end] changed after they were
    built (written in the transaction of the change; deleted by the build that redoes them)."""

    start = models.DateTimeField()
    end = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["start", "end"], name="volume_rollup_mark_idx")]

    def __str__(self) -> str:
        return f"Volume rollups changed {self.start:%Y-%m-%d %H:%M} – {self.end:%Y-%m-%d %H:%M}"


class VolumeRollupCell(models.Model):
    """One day's cases opened with one team, channel and priority (the case's current ones;
    a case merged into another is not counted): how many, how many were reopened and how
    often, and their handle time."""

    # Indexed by the composite index that leads with it.
    day = models.ForeignKey(
        VolumeRollupDay, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    channel = models.CharField(max_length=10, choices=Channel.choices)
    priority = models.CharField(max_length=10, choices=Case.Priority.choices)
    cases = models.PositiveIntegerField(default=0)
    reopened_cases = models.PositiveIntegerField(default=0, help_text="Reopened at least once")
    reopens = models.PositiveIntegerField(default=0)
    handle_seconds = models.BigIntegerField(default=0)
    handled_cases = models.PositiveIntegerField(default=0, help_text="With handle time")

    class Meta:
        indexes = [
            models.Index(
                fields=["day", "team", "channel", "priority"],
                include=["cases", "reopened_cases", "reopens", "handle_seconds", "handled_cases"],
                name="volume_rollup_cell_idx",
            )
        ]

    def __str__(self) -> str:
        return f"Volume cell of day #{self.day_id}: {self.team_id}/{self.channel}/{self.priority}"


class WeeklyReport(models.Model):
    """The weekly summary e-mailed to one supervisor for one week: written once per person
    and week (the constraint), then sent through an outbox (apps/console/services.py)."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting to be sent"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="weekly_reports"
    )
    week_start = models.DateTimeField(help_text="Monday 00:00 of the week reported (TIME_ZONE)")
    week_end = models.DateTimeField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-week_start", "recipient_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "week_start"], name="weekly_report_once_per_week"
            )
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(status__in=["pending", "sending"]),
                name="weekly_report_due_idx",
            )
        ]

    def __str__(self) -> str:
        return f"Weekly report of {self.week_start:%Y-%m-%d} to user #{self.recipient_id}"
