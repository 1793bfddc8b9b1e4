"""The root-cause taxonomy, and the suggestion model trained from tagged cases.

A root cause answers "why did the customer have to contact us", as a node of a small tree:
category › cause › optional detail (depth 1 to 3). Each node has an owner team — any Team,
contact-center or not (product, billing, logistics, IT): the team that can fix the cause at
its source. Nodes are retired, never deleted: a retired node keeps its cases and their
history, but no case can be newly given it (apps/rootcauses/services.py).
"""

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from apps.accounts.models import Team

if TYPE_CHECKING:
    from apps.cases.models import Case

MAX_DEPTH = 3
PATH_SEPARATOR = " › "


class RootCauseQuerySet(models.QuerySet["RootCause"]):
    def active(self) -> "RootCauseQuerySet":
        return self.filter(retired_at__isnull=True)


class RootCause(models.Model):
    """One node of the taxonomy. `depth` and `path` are kept by the services."""

    name = models.CharField(max_length=100)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    owner_team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="root_causes")
    description = models.TextField(blank=True)
    depth = models.PositiveSmallIntegerField(default=1, editable=False)
    # "Cards › Card arrival": the names from the category down, for lists and suggestions.
    path = models.CharField(max_length=320, editable=False)
    retired_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = RootCauseQuerySet.as_manager()

    class Meta:
        ordering = ["path", "id"]
        constraints = [
            models.UniqueConstraint(fields=["parent", "name"], name="root_cause_name_unique"),
            # NULLs are distinct in a unique index: the categories need their own.
            models.UniqueConstraint(
                fields=["name"], condition=Q(parent__isnull=True), name="root_cause_category_unique"
            ),
            models.CheckConstraint(
                condition=Q(depth__gte=1, depth__lte=MAX_DEPTH), name="root_cause_depth_range"
            ),
        ]
        indexes = [models.Index(fields=["owner_team", "path"], name="root_cause_owner_idx")]

    def __str__(self) -> str:
        return self.path + (" (retired)" if self.retired_at else "")

    @property
    def is_retired(self) -> bool:
        return self.retired_at is not None


class SuggestionModel(models.Model):
    """A trained suggestion pipeline (apps/rootcauses/suggest.py), as the trainer wrote it.

    `blob` is the pickled pipeline; `signature` an HMAC of it under the SECRET_KEY, checked
    before anything is unpickled: a row that did not come from our trainer is never loaded.
    The newest row is the one in use; older ones are pruned by the trainer.
    """

    version = models.PositiveIntegerField(unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    algorithm = models.CharField(max_length=200)
    cases = models.PositiveIntegerField(help_text="Tagged cases it was trained on")
    classes = models.PositiveIntegerField(help_text="Root causes it can suggest")
    figures = models.JSONField(default=dict, blank=True, help_text="Training time and sizes")
    blob = models.BinaryField()
    signature = models.CharField(max_length=128)

    class Meta:
        ordering = ["-version"]

    def __str__(self) -> str:
        return f"v{self.version} ({self.cases} cases, {self.classes} root causes)"


class RootCauseSuggestion(models.Model):
    """One of a case's top suggestions, by rank (1 best), from one model version and one
    version of the case's text (`text_digest`: a changed first message makes it stale)."""

    case = models.ForeignKey(
        "cases.Case", on_delete=models.CASCADE, related_name="root_cause_suggestions"
    )
    root_cause = models.ForeignKey(RootCause, on_delete=models.CASCADE, related_name="+")
    rank = models.PositiveSmallIntegerField()
    score = models.FloatField()
    model_version = models.PositiveIntegerField()
    text_digest = models.CharField(max_length=64)
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["case", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["case", "rank"], name="root_cause_suggestion_rank"),
        ]

    def __str__(self) -> str:
        return f"#{self.rank} {self.root_cause_id} for case {self.case_id} ({self.score:.2f})"

    @property
    def percent(self) -> int:
        return round(self.score * 100)


class RootCauseSpike(models.Model):
    """A root cause's volume far above its baseline (apps/rootcauses/spikes.py), from the
    first day it fired until a whole day passes without it firing again.

    One active spike per root cause: a spike that goes on the next day is the same row
    (`last_day` moves on, the figures are the latest day's). The owner team is told once,
    when `alerted_at` is claimed (services.spikes_alert)."""

    class State(models.TextChoices):
        ACTIVE = "active", "Active"
        ENDED = "ended", "Ended"

    root_cause = models.ForeignKey(RootCause, on_delete=models.PROTECT, related_name="spikes")
    state = models.CharField(max_length=10, choices=State.choices, default=State.ACTIVE)
    first_day = models.DateField(help_text="The first day it fired (TIME_ZONE)")
    last_day = models.DateField(help_text="The latest day it fired; the figures are that day's")
    observed = models.PositiveIntegerField(help_text="Cases of the root cause that day")
    expected = models.FloatField(help_text="Cases expected that day from the 28 days before")
    p_value = models.FloatField()
    first_seen_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)
    alerted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-first_seen_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["root_cause"],
                condition=Q(state="active"),
                name="root_cause_spike_one_active",
            ),
        ]
        indexes = [
            models.Index(fields=["state", "-first_seen_at"], name="root_cause_spike_list_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.root_cause_id} spike from {self.first_day} ({self.state})"


class RootCauseCandidate(models.Model):
    """A group of similar cases no root cause fits well: perhaps a cause the taxonomy does
    not know yet (apps/rootcauses/candidates.py clusters them; services.candidates_refresh
    stores them). People decide: accept it as a new node, merge it into an existing one, or
    dismiss it. An open candidate may be refreshed by the next run (its cases, terms and
    samples); a decided one never changes again."""

    class State(models.TextChoices):
        OPEN = "open", "Open"
        ACCEPTED = "accepted", "Accepted"
        MERGED = "merged", "Merged"
        DISMISSED = "dismissed", "Dismissed"

    state = models.CharField(max_length=10, choices=State.choices, default=State.OPEN)
    top_terms = models.JSONField(default=list, help_text="The words that set it apart, best first")
    sample_subjects = models.JSONField(default=list, help_text="Subjects of its central cases")
    size = models.PositiveIntegerField(help_text="Its cases")
    cohesion = models.FloatField(help_text="Mean cosine similarity of its cases to their centre")
    cases: "models.ManyToManyField[Case, RootCauseCandidateCase]" = models.ManyToManyField(
        "cases.Case", through="RootCauseCandidateCase", related_name="root_cause_candidates"
    )
    root_cause = models.ForeignKey(
        RootCause,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="candidates",
        help_text="The node it was accepted as, or merged into",
    )
    created_at = models.DateTimeField(default=timezone.now)
    refreshed_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["-size", "-id"]
        indexes = [
            models.Index(fields=["state", "-size", "-id"], name="root_cause_candidate_list_idx"),
        ]

    def __str__(self) -> str:
        return f"candidate {self.pk}: {', '.join(self.top_terms[:3])} ({self.size} cases)"


class RootCauseCandidateCase(models.Model):
    """A case of a candidate, with its similarity to the candidate's centre."""

    candidate = models.ForeignKey(
        RootCauseCandidate, on_delete=models.CASCADE, related_name="memberships"
    )
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="+")
    similarity = models.FloatField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["candidate", "case"], name="root_cause_candidate_case"),
        ]
        indexes = [models.Index(fields=["case"], name="root_cause_candidate_case_idx")]

    def __str__(self) -> str:
        return f"case {self.case_id} in candidate {self.candidate_id}"

    @property
    def case_reference(self) -> str:
        from apps.cases.models import REFERENCE_PREFIX

        return f"{REFERENCE_PREFIX}-{self.case_id:06d}"


# --- the daily rollups (apps/rootcauses/rollups.py says how they stay exact) ---------------


class RootCauseRollupDay(models.Model):
    """A day of TIME_ZONE whose root-cause figures are rolled up: [start, end) as built.
    A change since is a mark (RootCauseRollupMark): readers take a marked day from the rows
    until it is built again."""

    day = models.DateField()
    start = models.DateTimeField(unique=True)
    end = models.DateTimeField()
    built_at = models.DateTimeField()

    class Meta:
        ordering = ["start"]
        indexes = [models.Index(fields=["end"], name="rc_rollup_day_end_idx")]

    def __str__(self) -> str:
        return f"Root-cause rollup of {self.day}"


class RootCauseRollupMark(models.Model):
    """The figures of the days holding instants [start, end] changed after they were built
    (written in the transaction of the change; deleted by the build that redoes them)."""

    start = models.DateTimeField()
    end = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["start", "end"], name="rc_rollup_mark_idx")]

    def __str__(self) -> str:
        return f"Root-cause rollups changed {self.start:%Y-%m-%d %H:%M} – {self.end:%Y-%m-%d %H:%M}"


class RootCauseRollupCell(models.Model):
    """One day's figures of the cases opened that day with one root cause, team and channel
    (the case's current ones; a case merged into another is not counted)."""

    # Indexed by the composite index that leads with it.
    day = models.ForeignKey(
        RootCauseRollupDay, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    root_cause = models.ForeignKey(RootCause, on_delete=models.CASCADE, related_name="+")
    # The case's team: SET_NULL as on the case, so a deleted team leaves both alike.
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    channel = models.CharField(max_length=10)
    cases = models.PositiveIntegerField(default=0)
    reopened_cases = models.PositiveIntegerField(default=0, help_text="Reopened at least once")
    reopens = models.PositiveIntegerField(default=0)
    handle_seconds = models.BigIntegerField(default=0)
    fcr_judged = models.PositiveIntegerField(default=0, help_text="Solved, with an FCR verdict")
    fcr = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [
            # The report: the covered days' cells, of a team or all, from the index alone.
            models.Index(
                fields=["day", "team", "channel"],
                include=[
                    "root_cause",
                    "cases",
                    "reopened_cases",
                    "reopens",
                    "handle_seconds",
                    "fcr_judged",
                    "fcr",
                ],
                name="rc_rollup_cell_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"Root-cause cell of day #{self.day_id}: {self.root_cause_id}/{self.team_id}"


class RootCauseRollupContact(models.Model):
    """The contacts of one day's cell, each once: distinct contacts do not add up across
    days, so a period's are counted distinct over these rows (and the uncovered ranges'
    case rows), never summed."""

    # Indexed by the composite index that leads with it.
    day = models.ForeignKey(
        RootCauseRollupDay, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    root_cause = models.ForeignKey(RootCause, on_delete=models.CASCADE, related_name="+")
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    channel = models.CharField(max_length=10)
    # No constraint: a contact merged away is a marked day (the merge moves its cases).
    contact = models.ForeignKey(
        "contacts.Contact",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
        db_index=False,
    )

    class Meta:
        indexes = [
            models.Index(
                fields=["day", "team", "channel"],
                include=["root_cause", "contact"],
                name="rc_rollup_contact_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"Contact {self.contact_id} of day #{self.day_id}: {self.root_cause_id}"
