"""Writes on contacts: find-or-create from any identity, add and remove identities, merge.

Each change of a contact's identities writes a ContactEvent (the contact's audit trail) in
the transaction of the change: `created` with the first identity, `identity_added`,
`identity_removed`, and `merged_into` / `merged_from` on both sides of a merge. `actor` is the
user who asked (API, admin); None means a channel or the system. Who may ask is decided by
the callers: `Contact.objects.visible_to` scopes every API read and write, and
`selectors.contact_merge_allowed` says who may merge.
"""

from typing import TypedDict

from django.db import IntegrityError, transaction

from apps.accounts.types import User
from apps.cases import events as case_events
from apps.cases.models import Case, CaseEvent, Interaction
from apps.core.db import insert_unless_conflict
from apps.core.errors import DomainError

from . import identities
from .models import Contact, ContactEvent, ContactIdentity


class ContactError(DomainError):
    """A contact operation that the contacts' current state does not allow."""

    code = "contact_error"
    status = 400


class IdentityTaken(ContactError):
    """The identity already belongs to another contact: merge the two instead."""

    code = "identity_taken"
    status = 409

    def __init__(self, identity: ContactIdentity):
        self.identity = identity
        # The address is the caller's own input; its contact is not named, since the caller
        # may not be allowed to see it (the API answers this for any contact).
        super().__init__(f"{identity} already belongs to another contact")


class IdentityNotFound(ContactError):
    code = "not_found"  # what the API has always answered
    status = 404


class LastIdentity(ContactError):
    """Removing it would leave a contact no channel can reach and no lookup can find."""

    code = "last_identity"
    status = 409


class ContactMergeError(ContactError):
    code = "invalid_merge"
    status = 409


class IdentityData(TypedDict):
    """An identity as a ContactEvent records it."""

    kind: str
    network: str
    value: str


def _identity_data(identity: ContactIdentity) -> IdentityData:
    return {"kind": identity.kind, "network": identity.network, "value": identity.value}


def contact_find_or_create(
    *, kind: str, value: str, network: str = "", name: str = "", actor: User | None = None
) -> tuple[Contact, bool]:
    """The contact known by this identity, created (with the identity) when there is none.

    A new contact records a `created` event with its first identity: one INSERT more, and
    only for a new person, on the channels' hot path. `actor` (the API's caller) becomes its
    `created_by`. Raises identities.InvalidIdentity for an address that cannot be
    normalised. Safe under concurrency: two simultaneous first contacts from one address
    make one contact.
    """
    identity = identities.normalize(kind, value, network)
    lookup = {"kind": identity.kind, "network": identity.network, "value": identity.value}
    # order_by()[:1], not first(): the address is unique, so the model's three-column
    # ordering is not worth building (a quarter of this lookup's CPU) or running.
    found = ContactIdentity.objects.select_related("contact").filter(**lookup).order_by()[:1]
    existing = next(iter(found), None)
    if existing:
        contact = existing.contact
        if name and not contact.name:
            contact.name = name
            contact.save(update_fields=["name", "updated_at"])
        return contact, False
    # No savepoint: the identity is inserted unless another request has just made it, in
    # which case that contact is the answer and ours (still without identity or event) goes.
    contact = Contact.objects.create(name=name, created_by=actor)
    first = ContactIdentity(contact=contact, **lookup)
    if not insert_unless_conflict(first, unique=("kind", "network", "value")):
        Contact.objects.filter(pk=contact.pk).delete()
        return ContactIdentity.objects.select_related("contact").get(**lookup).contact, False
    ContactEvent.objects.create(
        contact=contact,
        kind=ContactEvent.Kind.CREATED,
        actor=actor,
        after=_identity_data(first),
    )
    return contact, True


def contact_add_identity(
    *, contact: Contact, kind: str, value: str, network: str = "", actor: User | None = None
) -> ContactIdentity:
    """Attach another address to a contact (audited). Raises IdentityTaken if someone else
    has it; an address the contact has already is returned as it is, with no event."""
    identity = identities.normalize(kind, value, network)
    lookup = {"kind": identity.kind, "network": identity.network, "value": identity.value}
    existing = ContactIdentity.objects.filter(**lookup).first()
    if existing:
        if existing.contact_id == contact.pk:
            return existing
        raise IdentityTaken(existing)
    try:
        with transaction.atomic():
            added = ContactIdentity.objects.create(contact=contact, **lookup)
            ContactEvent.objects.create(
                contact=contact,
                kind=ContactEvent.Kind.IDENTITY_ADDED,
                actor=actor,
                after=_identity_data(added),
            )
            return added
    except IntegrityError:
        raise IdentityTaken(ContactIdentity.objects.get(**lookup)) from None


@transaction.atomic
def contact_remove_identity(
    *, contact_id: int, identity_id: int, actor: User | None = None
) -> Contact:
    """Detach one address from a contact (audited): its next message finds no contact and
    starts a new one. Raises IdentityNotFound when the contact has no such identity and
    LastIdentity for its only one — a contact is retired by merging it, not by emptying it.
    """
    contact = Contact.objects.select_for_update().get(pk=contact_id)  # one removal at a time
    own = list(ContactIdentity.objects.filter(contact=contact))
    identity = next((i for i in own if i.pk == identity_id), None)
    if identity is None:
        raise IdentityNotFound(f"contact #{contact.pk} has no identity #{identity_id}")
    if len(own) == 1:
        raise LastIdentity(
            f"{identity} is the only identity of contact #{contact.pk}; a contact "
            "needs one (merge it into another contact instead)"
        )
    ContactEvent.objects.create(
        contact=contact,
        kind=ContactEvent.Kind.IDENTITY_REMOVED,
        actor=actor,
        before=_identity_data(identity),
    )
    identity.delete()
    return contact


@transaction.atomic
def contact_merge(*, source_id: int, target_id: int, actor: User | None = None) -> Contact:
    """Make `source` part of `target`: identities, cases and messages move; source is retired.

    Each case whose requester changes gets a CaseEvent and is announced (apps/cases/events.py:
    one batch, `requester` changed), and both contacts a ContactEvent
    (`merged_into` on the source, `merged_from` on the target, with the identities moved and
    the number of cases), in this same transaction. A fixed number of queries whatever the
    number of cases. Who may merge is the caller's check (`selectors.contact_merge_allowed`).
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
    moved = [_identity_data(i) for i in ContactIdentity.objects.filter(contact=source)]
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
    case_events.announce_many(
        case_events.change(
            case_id,
            fields=["requester"],
            before={"requester": source.pk},
            after={"requester": target.pk},
            actor=actor,
        )
        for case_id in case_ids
    )
    ContactEvent.objects.bulk_create(
        [
            ContactEvent(
                contact=source,
                kind=ContactEvent.Kind.MERGED_INTO,
                actor=actor,
                after={"contact_id": target.pk, "identities": moved, "cases": len(case_ids)},
            ),
            ContactEvent(
                contact=target,
                kind=ContactEvent.Kind.MERGED_FROM,
                actor=actor,
                after={"contact_id": source.pk, "identities": moved, "cases": len(case_ids)},
            ),
        ]
    )

    changed: list[str] = []
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
