from django.db.models import Prefetch, QuerySet

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


def contact_list() -> QuerySet[Contact]:
    return (
        Contact.objects.filter(merged_into__isnull=True)
        .select_related("organization")
        .prefetch_related(Prefetch("identities", queryset=ContactIdentity.objects.order_by("kind")))
    )
