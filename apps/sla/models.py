"""Business calendars, SLA policies and their targets, and the clocks computed from them.

The life of a clock is in docs/architecture.md ("SLA"). In short: clocks are a pure replay of
a case's history (apps/sla/clocks.py) stored here by `services.case_sla_recompute`; the sweep
(`services.sla_sweep`) marks breaches and warnings by set-based UPDATEs and fires each
escalation once per clock (claimed by a conditional UPDATE).
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from django.db import models
from django.db.models import Q

from apps.accounts.models import Team
from apps.cases.models import Case, Channel
from apps.contacts.models import Organization

if TYPE_CHECKING:
    from . import business_time

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class Metric(models.TextChoices):
    FIRST_RESPONSE = "first_response", "First response"
    NEXT_RESPONSE = "next_response", "Next response"
    RESOLUTION = "resolution", "Resolution"


# Which statuses pause a target when a policy does not say (BRIEF: waiting on the customer).
DEFAULT_PAUSE_STATUSES: dict[str, list[str]] = {
    Metric.FIRST_RESPONSE: [],
    Metric.NEXT_RESPONSE: [],
    Metric.RESOLUTION: [Case.Status.PENDING],
}
PAUSABLE_STATUSES = (Case.Status.NEW, Case.Status.OPEN, Case.Status.PENDING, Case.Status.ON_HOLD)


def default_weekly_hours() -> dict[str, list[list[str]]]:
    return {day: [["09:00", "17:00"]] if day not in ("sat", "sun") else [] for day in WEEKDAYS}


def default_pause_statuses() -> dict[str, list[str]]:
    return {metric: list(statuses) for metric, statuses in DEFAULT_PAUSE_STATUSES.items()}


class BusinessCalendar(models.Model):
    """A time zone, weekly opening intervals (several a day allowed) and holidays."""

    name = models.CharField(max_length=100, unique=True)
    timezone = models.CharField(max_length=64, default="UTC", help_text="IANA name")
    weekly_hours = models.JSONField(
        default=default_weekly_hours,
        help_text='{"mon": [["09:00", "12:30"], ["13:30", "17:00"]], …, "sun": []}: '
        'half-open local intervals, "24:00" is the end of the day; a missing day is closed',
    )
    holidays = models.JSONField(
        default=list, blank=True, help_text='Closed local dates: ["2026-12-25", …]'
    )
    holiday_country = models.CharField(
        max_length=8, blank=True, help_text="Also close the public holidays of this country (GB)"
    )
    holiday_subdivision = models.CharField(
        max_length=16, blank=True, help_text="… and of this subdivision of it (ENG)"
    )
    holidays_ics = models.TextField(
        blank=True, help_text="An imported iCalendar (.ics) file whose all-day events are closed"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def to_calendar(self) -> business_time.Calendar:
        """The pure value the business-time functions take (ValueError on a bad definition)."""
        from . import business_time
        from .holidays_import import holidays_from_ics

        holidays = [date.fromisoformat(day) for day in self.holidays or []]
        if self.holidays_ics:
            holidays += holidays_from_ics(self.holidays_ics)
        return business_time.Calendar(
            timezone=self.timezone,
            weekly_hours=self.weekly_hours or {},
            holidays=holidays,
            holiday_country=self.holiday_country or None,
            holiday_subdivision=self.holiday_subdivision or None,
        )


class SlaPolicy(models.Model):
    """Which cases it applies to, and targets per priority. Policies are ordered: the first
    active one whose conditions all match a case applies (an empty condition matches all)."""

    name = models.CharField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    position = models.PositiveIntegerField(default=0, help_text="Lower is tried first")
    is_active = models.BooleanField(default=True)
    calendar = models.ForeignKey(
        BusinessCalendar,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="policies",
        help_text="Business hours of the targets counted in business time (none: 24/7)",
    )
    match_priorities = models.JSONField(default=list, blank=True)
    match_channels = models.JSONField(default=list, blank=True)
    match_teams = models.ManyToManyField(Team, blank=True, related_name="+")
    match_organizations = models.ManyToManyField(Organization, blank=True, related_name="+")
    match_tags = models.JSONField(
        default=list, blank=True, help_text="Tag names: the case has at least one of them"
    )
    warning_percent = models.PositiveSmallIntegerField(
        default=75, help_text="Warn once this share of a target is used (1–99)"
    )
    pause_statuses = models.JSONField(
        default=default_pause_statuses,
        help_text="Per target, the statuses during which it does not count",
    )
    escalate_priority = models.CharField(
        max_length=10,
        choices=Case.Priority.choices,
        blank=True,
        help_text="On breach, raise the case to this priority (never lowers it)",
    )
    escalate_team = models.ForeignKey(
        Team,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="On breach, move the case to this team",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "id"]
        verbose_name_plural = "SLA policies"

    def __str__(self) -> str:
        return self.name

    def pauses_for(self, metric: str) -> frozenset[str]:
        statuses = (self.pause_statuses or {}).get(metric, DEFAULT_PAUSE_STATUSES[metric])
        return frozenset(statuses)


class SlaTarget(models.Model):
    """One promise of a policy: `metric` within `minutes` for cases of `priority`."""

    policy = models.ForeignKey(SlaPolicy, on_delete=models.CASCADE, related_name="targets")
    priority = models.CharField(max_length=10, choices=Case.Priority.choices)
    metric = models.CharField(max_length=20, choices=Metric.choices)
    minutes = models.PositiveIntegerField()
    business_hours = models.BooleanField(
        default=True, help_text="Count in the calendar's business hours (else around the clock)"
    )

    class Meta:
        ordering = ["policy", "priority", "metric"]
        constraints = [
            models.UniqueConstraint(
                fields=["policy", "priority", "metric"], name="sla_target_one_per_metric"
            )
        ]

    def __str__(self) -> str:
        kind = "business" if self.business_hours else "calendar"
        return f"{self.priority} {self.metric}: {self.minutes} {kind} min"


_VERDICT = Q(state__in=["met", "breached"])  # a clock met or breached (SlaClock.State)
# A first response in calendar time (every responded case; a business time too when a
# policy applied: a business time never comes without its calendar time).
_RESPONDED = Q(first_response_seconds__isnull=False)
_RESPONDED_BUSINESS = Q(first_response_business_seconds__isnull=False)
_SOLVED = Q(solved_at__isnull=False)
_RESPONSE_FIGURES = [
    "first_response_business_seconds",
    "first_response_bucket",
    "first_response_seconds",
    "first_response_calendar_bucket",
]
_SOLVED_FIGURES = [  # the summary's solved-case columns
    "resolution_business_seconds",
    "resolution_bucket",
    "resolution_seconds",
    "resolution_calendar_bucket",
    "fcr",
    "fcr_state",
    "one_touch",
    "no_customer_follow_up",
]


class SlaClock(models.Model):
    """One target on one case (`instance` counts next-response and reopened resolutions)."""

    class State(models.TextChoices):
        ACTIVE = "active", "Active"
        PAUSED = "paused", "Paused"
        MET = "met", "Met"
        BREACHED = "breached", "Breached"

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="sla_clocks")
    metric = models.CharField(max_length=20, choices=Metric.choices)
    instance = models.PositiveSmallIntegerField(default=1)
    policy = models.ForeignKey(SlaPolicy, null=True, on_delete=models.SET_NULL, related_name="+")
    target_minutes = models.PositiveIntegerField()
    business_hours = models.BooleanField(default=True)
    state = models.CharField(max_length=10, choices=State.choices)
    started_at = models.DateTimeField()
    # Due and warning instants of a running clock; None while paused (they are not known).
    due_at = models.DateTimeField(null=True, blank=True)
    warn_at = models.DateTimeField(null=True, blank=True)
    paused_seconds = models.PositiveIntegerField(default=0)
    met_at = models.DateTimeField(null=True, blank=True, help_text="When it was fulfilled")
    breached_at = models.DateTimeField(null=True, blank=True, help_text="Its due instant, passed")
    # Elapsed until fulfilled (or until the last recompute), pauses excluded.
    business_seconds = models.PositiveIntegerField(default=0)
    calendar_seconds = models.PositiveIntegerField(default=0)
    # Side effects, each claimed once by a conditional UPDATE (never reset by a recompute).
    warning_sent_at = models.DateTimeField(null=True, blank=True)
    breach_fired_at = models.DateTimeField(null=True, blank=True)
    computed_at = models.DateTimeField()
    # The case's current team, channel and priority, copied by each recompute (which follows
    # every change of the case): the SLA summary filters on them without joining the cases.
    # No index of its own for the team: the summary's indexes lead with it.
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    channel = models.CharField(max_length=10, choices=Channel.choices)
    priority = models.CharField(max_length=10, choices=Case.Priority.choices)

    class Meta:
        ordering = ["case", "started_at", "metric", "instance"]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "metric", "instance"], name="sla_clock_one_per_instance"
            )
        ]
        indexes = [
            # The sweep: running clocks by due instant, and those whose breach is not fired.
            models.Index(
                fields=["due_at"],
                condition=Q(state="active"),
                name="sla_clock_running_due_idx",
            ),
            models.Index(
                fields=["warn_at"],
                condition=Q(state="active", warning_sent_at__isnull=True),
                name="sla_clock_warning_due_idx",
            ),
            models.Index(
                fields=["breached_at"],
                condition=Q(state="breached", breach_fired_at__isnull=True),
                name="sla_clock_breach_unfired_idx",
            ),
            models.Index(fields=["metric", "started_at"], name="sla_clock_metric_idx"),
            # The SLA summary's attainment: the clocks with a verdict started in a period,
            # read from an index alone (state to count, the filters' columns included), the
            # one whose leading columns are the filters asked for (team; channel and
            # priority; none).
            models.Index(
                fields=["metric", "started_at"],
                include=["state", "team", "channel", "priority"],
                condition=_VERDICT,
                name="sla_clock_verdict_idx",
            ),
            models.Index(
                fields=["team", "metric", "started_at"],
                include=["state", "channel", "priority"],
                condition=_VERDICT,
                name="sla_clock_team_verdict_idx",
            ),
            models.Index(
                fields=["channel", "priority", "metric", "started_at"],
                include=["state", "team"],
                condition=_VERDICT,
                name="sla_clock_chan_verdict_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.metric} #{self.instance} on case #{self.case_id}: {self.state}"


class SlaClockEvent(models.Model):
    """What happened to a clock, as replayed from the case's history (rebuilt on recompute)."""

    class Kind(models.TextChoices):
        POLICY_APPLIED = "policy_applied", "Policy applied"
        ACTIVATED = "activated", "Activated"
        PAUSED = "paused", "Paused"
        RESUMED = "resumed", "Resumed"
        FULFILLED = "fulfilled", "Fulfilled"
        BREACHED = "breached", "Breached"

    clock = models.ForeignKey(SlaClock, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    at = models.DateTimeField()
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["clock", "at"], name="sla_clock_event_idx")]

    def __str__(self) -> str:
        return f"{self.kind} at {self.at:%Y-%m-%d %H:%M}"


class CaseMetrics(models.Model):
    """A case's metrics and first-contact resolution (apps/sla/metrics.py says what each
    means), stored by the SLA recompute from the same replay as its clocks: one row a case.

    Times are whole seconds, each in calendar time and in business time of the applicable
    policy's calendar (None without a policy). Figures of a case still open are as of
    `computed_at`; a solved case's no longer move.
    """

    class FcrState(models.TextChoices):
        UNKNOWN = "unknown", "Unknown (not solved)"
        PROVISIONAL = "provisional", "Provisional (inside the FCR window)"
        FINAL = "final", "Final"

    class FcrReason(models.TextChoices):
        NONE = "", "—"
        REOPENED = "reopened", "Reopened"
        SEVERAL_AGENT_RESPONSES = "several_agent_responses", "Several agent responses"
        REPEAT_CONTACT = "repeat_contact", "Repeat contact"

    case = models.OneToOneField(
        Case, on_delete=models.CASCADE, primary_key=True, related_name="metrics"
    )
    policy = models.ForeignKey(
        SlaPolicy,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Whose calendar counted the business times (none: no business figures)",
    )
    first_response_at = models.DateTimeField(null=True, blank=True)
    first_response_seconds = models.PositiveIntegerField(null=True, blank=True)
    first_response_business_seconds = models.PositiveIntegerField(null=True, blank=True)
    # [{"started_at", "responded_at", "seconds", "business_seconds"}, …], oldest first.
    next_responses = models.JSONField(default=list, blank=True)
    solved_at = models.DateTimeField(
        null=True, blank=True, help_text="The latest solve, while the case is solved or closed"
    )
    first_resolution_seconds = models.PositiveIntegerField(null=True, blank=True)
    first_resolution_business_seconds = models.PositiveIntegerField(null=True, blank=True)
    resolution_seconds = models.PositiveIntegerField(null=True, blank=True)
    resolution_business_seconds = models.PositiveIntegerField(null=True, blank=True)
    requester_wait_seconds = models.PositiveIntegerField(default=0)
    requester_wait_business_seconds = models.PositiveIntegerField(null=True, blank=True)
    agent_work_seconds = models.PositiveIntegerField(default=0)
    agent_work_business_seconds = models.PositiveIntegerField(null=True, blank=True)
    on_hold_seconds = models.PositiveIntegerField(default=0)
    on_hold_business_seconds = models.PositiveIntegerField(null=True, blank=True)
    reopen_count = models.PositiveIntegerField(default=0)
    agent_replies = models.PositiveIntegerField(default=0, help_text="Public agent responses")
    agent_responses = models.PositiveIntegerField(
        default=0, help_text="Agent responses for FCR: one chat session counts one"
    )
    call_seconds = models.PositiveIntegerField(default=0)
    chat_seconds = models.PositiveIntegerField(default=0)
    handle_seconds = models.PositiveIntegerField(default=0)
    fcr = models.BooleanField(null=True, blank=True, help_text="None: not solved (unknown)")
    fcr_state = models.CharField(max_length=12, choices=FcrState.choices, default=FcrState.UNKNOWN)
    fcr_reason = models.CharField(
        max_length=30, choices=FcrReason.choices, blank=True, default=FcrReason.NONE
    )
    fcr_repeat_case = models.ForeignKey(
        Case,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The requester's case opened within the FCR window",
    )
    one_touch = models.BooleanField(null=True, blank=True)
    no_customer_follow_up = models.BooleanField(null=True, blank=True)
    computed_at = models.DateTimeField()
    # The case's opening and current team, channel and priority, copied by each recompute
    # (which follows every change of the case): the SLA summary reads its periods and
    # filters here without joining the cases. The team has no index of its own: the
    # summary's indexes lead with it.
    opened_at = models.DateTimeField(help_text="The case's created_at")
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    channel = models.CharField(max_length=10, choices=Channel.choices)
    priority = models.CharField(max_length=10, choices=Case.Priority.choices)
    # The times' histogram buckets (apps/sla/rollups.py `bucket`), business and calendar:
    # the summary's percentiles count values per bucket from the daily rollups, then read
    # the few values of the one bucket that holds the rank asked for.
    first_response_bucket = models.PositiveSmallIntegerField(null=True, blank=True)
    resolution_bucket = models.PositiveSmallIntegerField(null=True, blank=True)
    first_response_calendar_bucket = models.PositiveSmallIntegerField(null=True, blank=True)
    resolution_calendar_bucket = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "case metrics"
        indexes = [
            # The SLA summary: first-response times of the cases opened in a period, and
            # resolution times and FCR rates of those solved in it, each read from an index
            # alone (its figures and the filters' columns included), the one whose leading
            # columns are the filters asked for (team; channel and priority; none).
            models.Index(
                fields=["opened_at"],
                include=[*_RESPONSE_FIGURES, "team", "channel", "priority"],
                condition=_RESPONDED,
                name="case_metrics_opened_idx",
            ),
            models.Index(
                fields=["team", "opened_at"],
                include=[*_RESPONSE_FIGURES, "channel", "priority"],
                condition=_RESPONDED,
                name="case_metrics_team_opened_idx",
            ),
            models.Index(
                fields=["channel", "priority", "opened_at"],
                include=[*_RESPONSE_FIGURES, "team"],
                condition=_RESPONDED,
                name="case_metrics_chan_opened_idx",
            ),
            models.Index(
                fields=["solved_at"],
                include=[*_SOLVED_FIGURES, "team", "channel", "priority"],
                condition=_SOLVED,
                name="case_metrics_solved_idx",
            ),
            models.Index(
                fields=["team", "solved_at"],
                include=[*_SOLVED_FIGURES, "channel", "priority"],
                condition=_SOLVED,
                name="case_metrics_team_solved_idx",
            ),
            models.Index(
                fields=["channel", "priority", "solved_at"],
                include=[*_SOLVED_FIGURES, "team"],
                condition=_SOLVED,
                name="case_metrics_chan_solved_idx",
            ),
            # The summary's percentiles: the values of one histogram bucket in a period,
            # business and calendar.
            models.Index(
                fields=["first_response_bucket", "opened_at"],
                include=["first_response_business_seconds", "team", "channel", "priority"],
                condition=_RESPONDED_BUSINESS,
                name="case_metrics_fr_bucket_idx",
            ),
            models.Index(
                fields=["resolution_bucket", "solved_at"],
                include=["resolution_business_seconds", "team", "channel", "priority"],
                condition=_SOLVED & Q(resolution_business_seconds__isnull=False),
                name="case_metrics_res_bucket_idx",
            ),
            models.Index(
                fields=["first_response_calendar_bucket", "opened_at"],
                include=["first_response_seconds", "team", "channel", "priority"],
                condition=_RESPONDED,
                name="case_metrics_fr_cal_bucket_idx",
            ),
            models.Index(
                fields=["resolution_calendar_bucket", "solved_at"],
                include=["resolution_seconds", "team", "channel", "priority"],
                condition=_SOLVED & Q(resolution_seconds__isnull=False),
                name="case_metrics_res_cal_bkt_idx",
            ),
            # The FCR finalisation: provisional verdicts by solve time (few rows).
            models.Index(
                fields=["solved_at"],
                condition=Q(fcr_state="provisional"),
                name="case_metrics_fcr_due_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"Metrics of case #{self.case_id}"

    def save(self, *args, **kwargs):
        # The buckets follow the times whoever saves the row (the recompute sets them too:
        # it writes with bulk_create, which does not call save()).
        from .rollups import bucket

        self.first_response_bucket = bucket(self.first_response_business_seconds)
        self.resolution_bucket = bucket(self.resolution_business_seconds)
        self.first_response_calendar_bucket = bucket(self.first_response_seconds)
        self.resolution_calendar_bucket = bucket(self.resolution_seconds)
        super().save(*args, **kwargs)


_NEXT_FIGURES = ["seconds", "calendar_bucket", "business_seconds", "business_bucket"]


class SlaNextResponse(models.Model):
    """One answered wait of a case — a customer message after an agent response, and the
    next agent response to it (`CaseMetrics.next_responses`, one row each): written by the
    recompute with the case's metrics, in the same transaction, so the SLA summary counts
    next-response times per period like first responses (apps/sla/summary.py).

    A row belongs to the period of its response (`responded_at`): a next response exists
    only once given, so its day is the day it was given — usually today, which needs no
    rollup mark — and a period's figures stop moving once it has ended. Times are whole
    seconds, calendar and business (None: no policy); the buckets are `rollups.bucket`'s.
    """

    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="+", db_index=False
    )  # the unique (case, instance) serves it
    instance = models.PositiveSmallIntegerField(help_text="1 for the case's first next response")
    started_at = models.DateTimeField(help_text="The customer message that started the wait")
    responded_at = models.DateTimeField(help_text="The agent response that ended it")
    seconds = models.PositiveIntegerField()
    business_seconds = models.PositiveIntegerField(null=True, blank=True)
    calendar_bucket = models.PositiveSmallIntegerField()
    business_bucket = models.PositiveSmallIntegerField(null=True, blank=True)
    # The case's current team, channel and priority, copied by each recompute (as on its
    # metrics and clocks): the summary filters here without joining the cases.
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    channel = models.CharField(max_length=10, choices=Channel.choices)
    priority = models.CharField(max_length=10, choices=Case.Priority.choices)

    class Meta:
        ordering = ["case", "instance"]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "instance"], name="sla_next_response_one_per_instance"
            )
        ]
        indexes = [
            # The summary: the next responses given in a period, read from an index alone,
            # the one whose leading columns are the filters asked for (as CaseMetrics').
            models.Index(
                fields=["responded_at"],
                include=[*_NEXT_FIGURES, "team", "channel", "priority"],
                name="sla_next_response_at_idx",
            ),
            models.Index(
                fields=["team", "responded_at"],
                include=[*_NEXT_FIGURES, "channel", "priority"],
                name="sla_next_response_team_idx",
            ),
            models.Index(
                fields=["channel", "priority", "responded_at"],
                include=[*_NEXT_FIGURES, "team"],
                name="sla_next_response_chan_idx",
            ),
            # The percentiles: the values of one histogram bucket in a period.
            models.Index(
                fields=["business_bucket", "responded_at"],
                include=["business_seconds", "team", "channel", "priority"],
                condition=Q(business_seconds__isnull=False),
                name="sla_next_response_bucket_idx",
            ),
            models.Index(
                fields=["calendar_bucket", "responded_at"],
                include=["seconds", "team", "channel", "priority"],
                name="sla_next_response_cal_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"Next response #{self.instance} of case #{self.case_id}"

    def save(self, *args, **kwargs):
        from .rollups import bucket

        self.calendar_bucket = bucket(self.seconds) or 0  # a time always has a bucket
        self.business_bucket = bucket(self.business_seconds)
        super().save(*args, **kwargs)


# --- the daily rollups of the SLA summary (apps/sla/rollups.py) ------------------------------


class SlaRollupDay(models.Model):
    """A day whose summary figures are rolled up: the instants [start, end) are a day of
    TIME_ZONE when it was built. Its cells and histograms are what its cases and clocks
    held then; a change since is a mark (SlaRollupMark), and the summary reads a marked
    day from the rows until the day is built again."""

    day = models.DateField()
    start = models.DateTimeField(unique=True)
    end = models.DateTimeField()
    built_at = models.DateTimeField()

    class Meta:
        ordering = ["start"]
        indexes = [models.Index(fields=["end"], name="sla_rollup_day_end_idx")]

    def __str__(self) -> str:
        return f"SLA rollup of {self.day}"


class SlaRollupMark(models.Model):
    """The figures of the days holding instants [start, end] changed after they were built
    (written in the transaction of the change; deleted by the build that redoes them)."""

    start = models.DateTimeField()
    end = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["start", "end"], name="sla_rollup_mark_idx")]

    def __str__(self) -> str:
        return f"SLA rollups changed {self.start:%Y-%m-%d %H:%M} – {self.end:%Y-%m-%d %H:%M}"


class SlaRollupCell(models.Model):
    """One day's counts for one team, channel and priority (the case's current ones): the
    clocks started that day with a verdict, and the FCR of the cases solved that day."""

    day = models.ForeignKey(SlaRollupDay, on_delete=models.CASCADE, related_name="cells")
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    channel = models.CharField(max_length=10, choices=Channel.choices)
    priority = models.CharField(max_length=10, choices=Case.Priority.choices)
    first_response_met = models.PositiveIntegerField(default=0)
    first_response_breached = models.PositiveIntegerField(default=0)
    next_response_met = models.PositiveIntegerField(default=0)
    next_response_breached = models.PositiveIntegerField(default=0)
    resolution_met = models.PositiveIntegerField(default=0)
    resolution_breached = models.PositiveIntegerField(default=0)
    final = models.PositiveIntegerField(default=0)
    final_fcr = models.PositiveIntegerField(default=0)
    provisional = models.PositiveIntegerField(default=0)
    provisional_fcr = models.PositiveIntegerField(default=0)
    judged = models.PositiveIntegerField(default=0)
    one_touch = models.PositiveIntegerField(default=0)
    no_follow_up = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["day"], name="sla_rollup_cell_day_idx")]

    def __str__(self) -> str:
        return (
            f"SLA rollup cell of day #{self.day_id}: {self.team_id}/{self.channel}/{self.priority}"
        )


class SlaRollupHistogram(models.Model):
    """How many of one day's times (first responses of the cases opened that day, next
    responses given that day, resolutions of the cases solved that day; each in business
    and in calendar time: `figure`) fell in each bucket: over all cases, per team, and
    per channel and priority (`grouping`; the other key columns empty). A summary filtered
    on a team *and* a channel or priority is selective enough to count its rows."""

    class Figure(models.TextChoices):
        FIRST_RESPONSE = "first_response", "First response"
        NEXT_RESPONSE = "next_response", "Next response"
        RESOLUTION = "resolution", "Resolution"
        FIRST_RESPONSE_CALENDAR = "first_response_cal", "First response (calendar time)"
        NEXT_RESPONSE_CALENDAR = "next_response_cal", "Next response (calendar time)"
        RESOLUTION_CALENDAR = "resolution_cal", "Resolution (calendar time)"

    class Grouping(models.TextChoices):
        ALL = "all", "All cases"
        TEAM = "team", "Per team"
        CHANNEL_PRIORITY = "channel_priority", "Per channel and priority"

    day = models.ForeignKey(SlaRollupDay, on_delete=models.CASCADE, related_name="+")
    figure = models.CharField(max_length=20, choices=Figure.choices)
    grouping = models.CharField(max_length=20, choices=Grouping.choices)
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    channel = models.CharField(max_length=10, blank=True)
    priority = models.CharField(max_length=10, blank=True)
    bucket = models.PositiveSmallIntegerField()
    count = models.PositiveIntegerField()

    class Meta:
        indexes = [
            # The summary reads every figure of its days at once: the filters are equalities
            # up to the day (one list of ids: the one array a btree scan can bound by, on
            # PostgreSQL 15), the figure is read from the index.
            models.Index(
                fields=["grouping", "team", "channel", "priority", "day"],
                include=["figure", "bucket", "count"],
                name="sla_rollup_histogram_idx",
            ),
            models.Index(fields=["day"], name="sla_rollup_histogram_day_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.figure} bucket {self.bucket} of day #{self.day_id}: {self.count}"
