"""The composer's own state: macros (canned answers that also set fields) and drafts.

A **macro** has a title, a body with placeholders (apps/macros/placeholders.py) and optional
actions — set status, set priority, add tags, set team, assign to the agent or unassign —
applied through apps/cases/services when the reply or note it filled in is sent. Its scope
says who sees it: everyone (shared), the members of one team, or its owner alone.

A **draft** is what one agent has typed in one case's composer, saved by the page as they
type and deleted when the reply or note is sent. It is the agent's own: nobody else reads it.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from apps.accounts.models import Team, role_of
from apps.cases.models import Case

# What a macro may leave a case in: the statuses an agent sets by hand (closing is the
# sweep's; a new case is opened by the reply itself).
MACRO_STATUSES = (Case.Status.OPEN, Case.Status.PENDING, Case.Status.ON_HOLD, Case.Status.SOLVED)
BODY_MAX_LENGTH = 20_000
# As long as the composer accepts (apps/cases/forms.ComposeForm.body).
DRAFT_MAX_LENGTH = 100_000


class MacroQuerySet(models.QuerySet["Macro"]):
    def visible_to(self, user) -> "MacroQuerySet":
        """Active macros the user may use: shared ones, their teams' (every team's for an
        admin, who sees every case) and their own personal ones."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        team = Q(scope=Macro.Scope.TEAM)
        if role_of(user) != "admin":
            team &= Q(team__in=user.teams.values("pk"))
        mine = Q(scope=Macro.Scope.PERSONAL, owner=user)
        return self.filter(Q(scope=Macro.Scope.SHARED) | team | mine, is_active=True)


class Macro(models.Model):
    class Scope(models.TextChoices):
        SHARED = "shared", "Shared (everyone)"
        TEAM = "team", "One team"
        PERSONAL = "personal", "Personal (its owner)"

    class Kind(models.TextChoices):
        ANY = "", "Either (as the agent chose)"
        REPLY = "reply", "Public reply"
        NOTE = "note", "Internal note"

    class Assign(models.TextChoices):
        KEEP = "", "Leave as it is"
        ME = "me", "Assign to the agent using it"
        UNASSIGN = "unassign", "Unassign"

    title = models.CharField(max_length=120)
    body = models.TextField(
        max_length=BODY_MAX_LENGTH,
        blank=True,
        help_text="Text put in the composer. Placeholders such as {contact.first_name}, "
        "{case.reference} or {agent.first_name} are filled in for the case.",
    )
    kind = models.CharField(max_length=5, choices=Kind.choices, blank=True, default="")
    scope = models.CharField(max_length=8, choices=Scope.choices, default=Scope.SHARED)
    team = models.ForeignKey(
        Team,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="macros",
        help_text="For a team macro: the team whose members see it.",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="macros",
        help_text="For a personal macro: the one user who sees it.",
    )
    # Actions, each optional (blank: leave the case's value as it is).
    set_status = models.CharField(
        max_length=10, blank=True, choices=[(s.value, s.label) for s in MACRO_STATUSES]
    )
    set_priority = models.CharField(max_length=10, blank=True, choices=Case.Priority.choices)
    add_tags = models.CharField(max_length=500, blank=True, help_text="Separated by commas.")
    set_team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    assign = models.CharField(max_length=8, blank=True, choices=Assign.choices)
    is_active = models.BooleanField(default=True)
    usage_count = models.PositiveIntegerField(default=0, editable=False)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = MacroQuerySet.as_manager()

    class Meta:
        ordering = ["title", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(scope="shared", team__isnull=True, owner__isnull=True)
                    | Q(scope="team", team__isnull=False, owner__isnull=True)
                    | Q(scope="personal", team__isnull=True, owner__isnull=False)
                ),
                name="macro_scope_matches_team_owner",
                violation_error_message="A shared macro has neither team nor owner; a team "
                "macro needs its team (and no owner); a personal macro its owner (and no team).",
            ),
        ]
        indexes = [models.Index(fields=["scope", "team"], name="macro_scope_team_idx")]

    def __str__(self) -> str:
        return self.title

    def tag_names(self) -> list[str]:
        return [name.strip().lower() for name in self.add_tags.split(",") if name.strip()]

    def has_actions(self) -> bool:
        return any(
            [self.set_status, self.set_priority, self.tag_names(), self.set_team_id, self.assign]
        )


class ComposerDraft(models.Model):
    """One agent's unsent reply or note on one case (autosaved by the composer)."""

    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="composer_drafts"
    )
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+")
    body = models.TextField(blank=True, max_length=DRAFT_MAX_LENGTH)
    kind = models.CharField(max_length=5, default="reply")
    channel = models.CharField(max_length=10, blank=True)
    macro = models.ForeignKey(
        Macro, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["agent", "case"], name="composer_draft_one_per_case"),
        ]

    def __str__(self) -> str:
        return f"Draft of {self.agent} on case #{self.case_id}"
