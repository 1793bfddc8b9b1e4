"""Writes on contacts: find-or-create from any identity, add identities, merge two people."""

from django.db import IntegrityError, transaction

from apps.cases.models import Case, CaseEvent, Interaction

from . import identities
from .models import Contact, ContactIdentity


class IdentityTaken(Exception):
    """The identity already belongs to another contact: merge the two instead."""

    def __init__(self, identity: ContactIdentity):
        self.identity = identity
        super().__init__(f"{identity} already belongs to contact #{identity.contact_id}")


class ContactMergeError(Exception):
    pass


def contact_find_or_create(
    *, kind: str, value: str, network: str = "", name: str = ""
) -> tuple[Contact, bool]:
    """The contact known by this identity, created (with the identity) when there is none.

    Raises identities.InvalidIdentity for an address that cannot be normalised. Safe under
    concurrency: two simultaneous first contacts from one address make one contact.
    """
    identity = identities.normalize(kind, value, network)
    lookup = {"kind": identity.kind, "network": identity.network, "value": identity.value}
    existing = ContactIdentity.objects.select_related("contact").filter(**lookup).first()
    if existing:
        contact = existing.contact
        if name and not contact.name:
            contact.name = name
            contact.save(update_fields=["name", "updated_at"])
        return contact, False
    try:
        with transaction.atomic():
            contact = Contact.objects.create(name=name)
            ContactIdentity.objects.create(contact=contact, **lookup)
    except IntegrityError:
        # Another request created this identity between our read and our write.
        return ContactIdentity.objects.select_related("contact").get(**lookup).contact, False
    return contact, True


def contact_add_identity(
    *, contact: Contact, kind: str, value: str, network: str = ""
) -> ContactIdentity:
    """Attach another address to a contact. Raises IdentityTaken if someone else has it."""
    identity = identities.normalize(kind, value, network)
    lookup = {"kind": identity.kind, "network": identity.network, "value": identity.value}
    existing = ContactIdentity.objects.filter(**lookup).first()
    if existing:
        if existing.contact_id == contact.pk:
            return existing
        raise IdentityTaken(existing)
    try:
        with transaction.atomic():
            return ContactIdentity.objects.create(contact=contact, **lookup)
    except IntegrityError:
        raise IdentityTaken(ContactIdentity.objects.get(**lookup)) from None


@transaction.atomic
def contact_merge(*, source_id: int, target_id: int, actor=None) -> Contact:
    """Make `source` part of `target`: identities, cases and messages move; source is retired.

    Each case whose requester changes gets a CaseEvent in this same transaction.
    """
    if source_id == target_id:
        raise ContactMergeError("a contact cannot be merged into itself")
    contacts = {
        c.pk: c for c in Contact.objects.select_for_update().filter(pk__in=[source_id, target_id])
    }
    if len(contacts) != 2:
        raise ContactMergeError("both contacts must exist")
    source, target = contacts[source_id], contacts[target_id]
    if source.merged_into_id or target.merged_into_id:
        raise ContactMergeError("a contact that was merged already cannot be merged again")

    case_ids = list(Case.objects.filter(requester=source).values_list("pk", flat=True))
    ContactIdentity.objects.filter(contact=source).update(contact=target)
    Case.objects.filter(pk__in=case_ids).update(requester=target)
    Interaction.objects.filter(author_contact=source).update(author_contact=target)
    CaseEvent.objects.bulk_create(
        CaseEvent(
            case_id=case_id,
            kind=CaseEvent.Kind.REQUESTER,
            actor=actor,
            before={"contact_id": source.pk, "reason": "contact merged"},
            after={"contact_id": target.pk},
        )
        for case_id in case_ids
    )

    changed = []
    if not target.name and source.name:
        target.name, changed = source.name, changed + ["name"]
    if not target.organization_id and source.organization_id:
        target.organization_id, changed = source.organization_id, changed + ["organization"]
    if source.notes:
        target.notes = f"{target.notes}\n{source.notes}".strip()
        changed.append("notes")
    if changed:
        target.save(update_fields=[*changed, "updated_at"])
    source.merged_into = target
    source.save(update_fields=["merged_into", "updated_at"])
    return target
