"""Problems: one instance of a root cause affecting many customers, its cases, its fix.

A Problem ("double charge on renewal since 2.3") has a root cause of the taxonomy, an owner
team (the team that fixes it: by default the root cause's), a status that moves only through
`Problem.ALLOWED_TRANSITIONS` (apps/problems/services.py enforces it), an optional link to
the owner's tracker and the date the fix shipped. Every change is a ProblemEvent; linking a
case is also a CaseEvent on the case. When the problem is fixed its open cases are answered
together: one ProblemAnswer row per case is the claim that makes the answer happen once.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from apps.accounts.models import Team


class ProblemQuerySet(models.QuerySet["Problem"]):
    def owned_by(self, team_ids) -> "ProblemQuerySet":
        """The problems of these owner teams (a queryset or a list of ids)."""
        return self.filter(owner_team__in=team_ids)


class Problem(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", "Open"
        INVESTIGATING = "investigating", "Investigating"
        FIX_IN_PROGRESS = "fix_in_progress", "Fix in progress"
        FIXED = "fixed", "Fixed"
        VERIFIED = "verified", "Verified"
        REOPENED = "reopened", "Reopened"

    # The only moves services.problem_transition allows (a rule as data: the tests are
    # generated from it). A fix that did not hold reopens the problem from fixed or verified.
    ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
        Status.OPEN: frozenset({Status.INVESTIGATING}),
        Status.INVESTIGATING: frozenset({Status.FIX_IN_PROGRESS}),
        Status.FIX_IN_PROGRESS: frozenset({Status.FIXED}),
        Status.FIXED: frozenset({Status.VERIFIED, Status.REOPENED}),
        Status.VERIFIED: frozenset({Status.REOPENED}),
        Status.REOPENED: frozenset({Status.INVESTIGATING, Status.FIX_IN_PROGRESS}),
    }
    # A fix date is needed to become one of these (the verdict is computed around it).
    FIXED_STATUSES = (Status.FIXED, Status.VERIFIED)

    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    root_cause = models.ForeignKey(
        "rootcauses.RootCause", on_delete=models.PROTECT, related_name="problems"
    )
    owner_team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="problems")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN)
    tracker_url = models.URLField("tracker link", max_length=500, blank=True)
    fix_date = models.DateField(null=True, blank=True, help_text="The day the fix shipped")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    # The answer sent to its open cases together (services.answer_together_start).
    answer_body = models.TextField(blank=True)
    answer_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    answer_started_at = models.DateTimeField(null=True, blank=True)

    objects = ProblemQuerySet.as_manager()

    class Meta:
        ordering = ["-updated_at", "-id"]
        indexes = [
            models.Index(fields=["-updated_at", "-id"], name="problem_list_idx"),
            models.Index(fields=["owner_team", "-updated_at"], name="problem_owner_idx"),
            models.Index(fields=["status", "-updated_at"], name="problem_status_idx"),
            models.Index(fields=["root_cause"], name="problem_root_cause_idx"),
        ]

    def __str__(self) -> str:
        return f"PB-{self.pk} {self.title}"

    @property
    def reference(self) -> str:
        return f"PB-{self.pk}"

    def can_transition_to(self, status: str) -> bool:
        return status in self.ALLOWED_TRANSITIONS[self.status]


class ProblemCase(models.Model):
    """A case listed under a problem (once)."""

    problem = models.ForeignKey(Problem, on_delete=models.CASCADE, related_name="links")
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="problem_links")
    linked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    linked_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-linked_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["problem", "case"], name="problem_case_once"),
        ]
        indexes = [models.Index(fields=["problem", "-linked_at"], name="problem_case_list_idx")]

    def __str__(self) -> str:
        return f"case {self.case_id} under problem {self.problem_id}"


class ProblemEvent(models.Model):
    """The problem's audit trail: who changed what, from what, to what, when."""

    class Kind(models.TextChoices):
        CREATED = "created", "Created"
        UPDATED = "updated", "Changed"
        STATUS = "status", "Status changed"
        LINKED = "linked", "Cases listed"
        UNLINKED = "unlinked", "Case taken off"
        ANSWER_STARTED = "answer_started", "Answer together started"
        ANSWERED = "answered", "Case answered"
        ANSWER_FAILED = "answer_failed", "Case not answered"

    problem = models.ForeignKey(Problem, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["problem", "-at"], name="problem_event_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on problem {self.problem_id}"


class ProblemAnswer(models.Model):
    """One case's part of answering a problem's cases together: the claim row.

    Unique per (problem, case): a case is answered at most once per problem, whatever
    retries, sweeps or second starts happen. A worker claims the row (pending → answering)
    by a conditional UPDATE (apps/core/outbox.py) and writes the reply, the solve and
    "answered" in one transaction that commits only while its claim still holds.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting"
        ANSWERING = "answering", "Answering"
        ANSWERED = "answered", "Answered"
        SKIPPED = "skipped", "Skipped"  # solved or closed meanwhile: nothing to answer
        FAILED = "failed", "Failed"

    problem = models.ForeignKey(Problem, on_delete=models.CASCADE, related_name="answers")
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    interaction = models.ForeignKey(
        "cases.Interaction", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["problem", "case"], name="problem_answer_once"),
        ]
        indexes = [
            models.Index(fields=["problem", "status"], name="problem_answer_progress_idx"),
            # The sweep: pending and claimed rows, oldest first.
            models.Index(
                fields=["status", "created_at"],
                condition=Q(status__in=["pending", "answering"]),
                name="problem_answer_sweep_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"answer of case {self.case_id} for problem {self.problem_id} ({self.status})"
