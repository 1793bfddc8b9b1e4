"""Reads for email ingestion and the inbound-email log. Each costs at most one query (but
case_email_participants: two, when the thread copied anyone)."""

from collections.abc import Iterable
from datetime import datetime
from email.utils import getaddresses, parseaddr

from django.conf import settings
from django.db.models import Q
from django.db.models.functions import Lower

from apps.accounts.types import User
from apps.cases.models import Case, Channel, Interaction
from apps.contacts import identities
from apps.contacts.models import Contact, ContactIdentity

from .models import InboundEmail, Mailbox
from .references import message_id_key


def mailbox_for_addresses(*, addresses: Iterable[str]) -> Mailbox | None:
    """The active mailbox among these addresses (To, Cc, Delivered-To …), first listed wins."""
    wanted = [a.strip().lower() for a in addresses if a and a.strip()]
    if not wanted:
        return None
    found = {
        m.email_address.lower(): m
        for m in Mailbox.objects.select_related("team").filter(
            email_address__in=wanted, is_active=True
        )
    }
    return next((found[a] for a in wanted if a in found), None)


def mailbox_by_address(*, address: str) -> Mailbox | None:
    """The active mailbox with this address; a deactivated one no longer routes mail."""
    return (
        Mailbox.objects.select_related("team")
        .filter(email_address__iexact=(address or "").strip(), is_active=True)
        .first()
    )


def _id_forms(message_id: str) -> list[str]:
    """The stored keys of `<id@host>` as we store it and of `id@host` as another sender may
    have stored it (references.message_id_key: long ids are stored hashed)."""
    bare = message_id.strip("<>")
    forms = [message_id, bare] if bare != message_id else [message_id]
    return list(dict.fromkeys(message_id_key(form) for form in forms))


def email_interactions_by_message_id(*, message_ids: Iterable[str]) -> dict[str, tuple[int, int]]:
    """{message_id: (interaction_id, case_id)} of email interactions (inbound or outbound)
    whose external_id is (the stored key of) one of `message_ids`, with or without angle
    brackets."""
    forms = {form: mid for mid in message_ids if mid for form in _id_forms(mid)}
    if not forms:
        return {}
    rows = Interaction.objects.filter(
        channel=Channel.EMAIL, external_id__in=list(forms)
    ).values_list("external_id", "pk", "case_id")
    return {forms[external_id]: (pk, case_id) for external_id, pk, case_id in rows}


def case_visible_to(*, case_id: int | None, user: User) -> bool:
    """May `user` see this case (the CaseQuerySet.visible_to rule)? False for no case."""
    return case_id is not None and Case.objects.visible_to(user).filter(pk=case_id).exists()


def case_for_reference(*, case_id: int) -> Case | None:
    return (
        Case.objects.only("pk", "requester_id", "status", "merged_into_id")
        .filter(pk=case_id)
        .first()
    )


def contact_is_on_case(*, contact_id: int, case_id: int) -> bool:
    """Did this contact write anything on the case (as requester or another participant)?"""
    return Interaction.objects.filter(case_id=case_id, author_contact_id=contact_id).exists()


MAX_PARTICIPANT_EMAILS = 200


def case_email_participants(*, case_id: int) -> set[str]:
    """The addresses (lower-case) in To or Cc of the case's latest emails (at most
    MAX_PARTICIPANT_EMAILS of them): the people the thread was copied to. One query, which
    reads only those two lists out of each interaction's metadata."""
    rows = (
        Interaction.objects.filter(case_id=case_id, channel=Channel.EMAIL)
        .order_by("-occurred_at", "-pk")
        .values_list("metadata__email__to", "metadata__email__cc")[:MAX_PARTICIPANT_EMAILS]
    )
    headers = [
        value
        for row in rows
        for values in row
        if isinstance(values, list)
        for value in values
        if isinstance(value, str)
    ]
    copied = {address.strip().lower() for _, address in getaddresses(headers) if address}
    # Our own addresses are in To of every customer's email, and anyone can write From them:
    # never someone the case knows (one query, only when the thread copied anyone).
    return copied - our_addresses(among=copied) if copied else copied


def our_addresses(*, among: Iterable[str]) -> set[str]:
    """Which of these (lower-case) addresses are ours: a mailbox's (active or not) or the
    default sender's."""
    wanted = {address.lower() for address in among}
    ours = {
        address.lower()
        for address in Mailbox.objects.annotate(address=Lower("email_address"))
        .filter(address__in=wanted)
        .values_list("address", flat=True)
    }
    default = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].lower()
    return ours | ({default} & wanted)


def contact_by_email(*, address: str) -> Contact | None:
    """The contact who owns this email address, without creating one (None if unknown or
    not an address)."""
    try:
        value = identities.normalize_email(address)
    except identities.InvalidIdentity:
        return None
    identity = (
        ContactIdentity.objects.select_related("contact")
        .filter(kind=ContactIdentity.Kind.EMAIL, network="", value=value)
        .first()
    )
    return identity.contact if identity else None


def inbound_email_processed_before(*, message_id: str, exclude_id: int) -> InboundEmail | None:
    """An earlier delivery of this Message-ID that was processed (for noise without a case,
    which stores no interaction to de-duplicate on)."""
    if not message_id:
        return None
    return (
        InboundEmail.objects.defer("raw")
        .filter(message_id=message_id_key(message_id), status=InboundEmail.Status.PROCESSED)
        .exclude(pk=exclude_id)
        .order_by("pk")
        .first()
    )


def inbound_emails_to_reprocess(*, ids: Iterable[int]) -> list[int]:
    """Which of these ids may be processed again: failed, or never processed (received)."""
    return list(
        InboundEmail.objects.filter(
            Q(status=InboundEmail.Status.FAILED) | Q(status=InboundEmail.Status.RECEIVED),
            pk__in=list(ids),
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def inbound_emails_stale(
    *,
    received_before: datetime,
    limit: int = 100,
    max_attempts: int | None = None,
    min_attempts: int | None = None,
) -> list[int]:
    """Messages stored but never processed (the process died between the two steps, or the
    outcome could not be stored), with fewer than `max_attempts` / at least `min_attempts`
    attempts: fewest attempts first, then oldest (index inbound_email_stale_idx)."""
    rows = InboundEmail.objects.filter(
        status=InboundEmail.Status.RECEIVED, received_at__lt=received_before
    )
    if max_attempts is not None:
        rows = rows.filter(attempts__lt=max_attempts)
    if min_attempts is not None:
        rows = rows.filter(attempts__gte=min_attempts)
    return list(rows.order_by("attempts", "received_at", "pk").values_list("pk", flat=True)[:limit])
