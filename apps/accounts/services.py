from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction

from apps.core.errors import DomainError

from .models import AgentProfile, Team, validate_time_zone
from .types import User


@transaction.atomic
def agent_create(
    *,
    username: str,
    email: str,
    role: AgentProfile.Role = AgentProfile.Role.AGENT,
    teams: Iterable[Team] = (),
    password: str | None = None,
    first_name: str = "",
    last_name: str = "",
) -> User:
    """Create a user with their profile. Admins get the admin site; everyone else the workspace."""
    user = get_user_model()(
        username=username,
        email=email.strip().lower(),
        first_name=first_name,
        last_name=last_name,
        is_staff=role == AgentProfile.Role.ADMIN,
        is_superuser=role == AgentProfile.Role.ADMIN,
    )
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    AgentProfile.objects.create(
        user=user, role=role, display_name=f"{first_name} {last_name}".strip()
    )
    for team in teams:
        team.members.add(user)
    return user


class InvalidTimeZone(DomainError):
    code = "invalid_time_zone"
    field = "time_zone"


@transaction.atomic
def agent_set_time_zone(*, user: User, time_zone: str, only_if_unset: bool = False) -> str:
    """Set the zone the agent's pages are shown in ("" = none, the server's). With
    `only_if_unset` (the browser reporting its own zone) a zone already chosen is kept.
    Returns the zone now in force."""
    time_zone = time_zone.strip()
    try:
        validate_time_zone(time_zone)
    except ValidationError as exc:
        raise InvalidTimeZone(exc.messages[0]) from None
    profile, _ = AgentProfile.objects.select_for_update().get_or_create(
        user=user, defaults={"display_name": user.get_full_name()}
    )
    if only_if_unset and profile.time_zone:
        return profile.time_zone
    if profile.time_zone != time_zone:
        profile.time_zone = time_zone
        profile.save(update_fields=["time_zone"])
    return time_zone


class InvalidCapacity(DomainError):
    code = "invalid_capacity"
    field = "max_open_cases"


MAX_CAPACITY = 10_000


@transaction.atomic
def agent_set_capacity(*, user: User, max_open_cases: int | None) -> int | None:
    """Set the most open cases the agent should hold at once (None: no limit); the
    supervisor console's workload shows who is over it. Returns the capacity in force."""
    if max_open_cases is not None and not 0 <= max_open_cases <= MAX_CAPACITY:
        raise InvalidCapacity(f"a capacity is a number of open cases from 0 to {MAX_CAPACITY}")
    profile, _ = AgentProfile.objects.select_for_update().get_or_create(
        user=user, defaults={"display_name": user.get_full_name()}
    )
    if profile.max_open_cases != max_open_cases:
        profile.max_open_cases = max_open_cases
        profile.save(update_fields=["max_open_cases"])
    return max_open_cases


def agent_wants_weekly_report(user: User) -> bool:
    profile = AgentProfile.objects.filter(user=user).only("weekly_report").first()
    return profile.weekly_report if profile else True


@transaction.atomic
def agent_set_weekly_report(*, user: User, on: bool) -> bool:
    """Whether the weekly report is e-mailed to the user (apps/console/services.py)."""
    profile, _ = AgentProfile.objects.select_for_update().get_or_create(
        user=user, defaults={"display_name": user.get_full_name()}
    )
    if profile.weekly_report != on:
        profile.weekly_report = on
        profile.save(update_fields=["weekly_report"])
    return on
