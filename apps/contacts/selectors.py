from django.db.models import Prefetch, QuerySet

from apps.accounts.models import AgentProfile, role_of
from apps.accounts.types import AnyUser, User
from apps.cases.models import Case

from . import identities
from .models import Contact, ContactIdentity


def contact_by_identity(*, kind: str, value: str, network: str = "") -> Contact | None:
    """The contact known by this address (any written form of it), or None."""
    identity = identities.normalize(kind, value, network)
    found = (
        ContactIdentity.objects.select_related("contact")
        .filter(kind=identity.kind, network=identity.network, value=identity.value)
        .first()
    )
    return found.contact if found else None


def contact_cases(*, contact: Contact) -> QuerySet[Case]:
    """Every case of this person, on every channel, newest first."""
    return (
        Case.objects.for_contact(contact)
        .select_related("team", "assignee")
        .order_by("-created_at", "-id")
    )


def contact_list(*, user: User) -> QuerySet[Contact]:
    """The contacts `user` may see (`Contact.objects.visible_to`), not merged away, with their
    organization and identities: a page is three queries however many identities it holds."""
    return (
        Contact.objects.visible_to(user)
        .filter(merged_into__isnull=True)
        .select_related("organization")
        .prefetch_related(Prefetch("identities", queryset=ContactIdentity.objects.order_by("kind")))
    )


MERGE_ROLES = frozenset({AgentProfile.Role.SUPERVISOR, AgentProfile.Role.ADMIN})


def contact_merge_allowed(*, user: AnyUser) -> bool:
    """Supervisors and admins may merge contacts; agents may not.

    A merge moves every identity of one person to another, so it reroutes their mail, calls
    and chats (and cannot be undone): the same harm as adding a stranger's address, at once.
    """
    return user.is_authenticated and user.is_active and role_of(user) in MERGE_ROLES
