from zoneinfo import available_timezones

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from .types import AnyUser


class Team(models.Model):
    """A group of agents that owns cases (billing, logistics, tier 2 …)."""

    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    # The team's cases cannot be solved without a root cause (apps/cases/services.py).
    root_cause_required = models.BooleanField(
        "root cause required before solve",
        default=False,
        help_text="Refuse to solve this team's cases until they have a root cause",
    )
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="teams", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


def validate_time_zone(value: str) -> None:
    """An IANA zone name this Python knows ("Europe/Berlin"), or empty."""
    if value and value not in available_timezones():
        raise ValidationError(f"{value!r} is not a time zone name such as Europe/Berlin.")


class AgentProfile(models.Model):
    """What cxdesk knows of a Django user: their role and time zone. Team membership is
    Team.members."""

    class Role(models.TextChoices):
        AGENT = "agent", "Agent"
        SUPERVISOR = "supervisor", "Supervisor"
        ADMIN = "admin", "Admin"
        # People of an owner team (product, billing…): they see the root-cause owners'
        # dashboard and their teams' problems, without customers' names, and nothing else
        # (apps/accounts/confinement.py).
        STAKEHOLDER = "stakeholder", "Stakeholder"

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile"
    )
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.AGENT)
    display_name = models.CharField(max_length=150, blank=True)
    # The zone every time on the agent's pages is shown in (apps/accounts/timezones.py);
    # empty until they choose one or their browser reports its own.
    time_zone = models.CharField(max_length=64, blank=True, validators=[validate_time_zone])
    # The most open cases the agent should hold at once (the supervisor console's workload
    # shows who is over it); empty for no limit.
    max_open_cases = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="The most open cases this agent should hold at once; empty for no limit",
    )
    # Supervisors get the weekly report by e-mail unless they turn it off (settings page).
    weekly_report = models.BooleanField(
        default=True, help_text="E-mail me the weekly report (supervisors and admins)"
    )

    def __str__(self) -> str:
        return f"{self.display_name or self.user.get_username()} ({self.get_role_display()})"


def role_of(user: AnyUser) -> AgentProfile.Role:
    """The user's role; a superuser made with createsuperuser (no profile) counts as admin."""
    if user.is_superuser:
        return AgentProfile.Role.ADMIN
    profile = getattr(user, "profile", None)
    return AgentProfile.Role(profile.role) if profile else AgentProfile.Role.AGENT
