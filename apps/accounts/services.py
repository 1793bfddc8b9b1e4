from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.db import transaction

from .models import AgentProfile, Team
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
