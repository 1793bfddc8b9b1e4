"""Email in: one path from raw bytes to a case, whatever brought the message.

    email_receive(raw=…, source="imap" | "upload" | "webhook", mailbox=…, provider=…)

1. **Store first.** The raw bytes are written as an InboundEmail (SHA-256, the stored key of
   its Message-ID when the header block can be read, attempts = 1) and committed before
   anything is parsed, so nothing a customer sent is lost, even if processing then crashes.
   An IMAP redelivery of the same (mailbox, UIDVALIDITY, UID) returns the row stored the
   first time.
2. **Process** (`email_process`), in one transaction: parse (apps/mail/parsing.py), find the
   thread, store the message through the case services, attach its files, and mark the row
   *processed* (with its case and interaction), *duplicate* (its Message-ID is stored on the
   email channel already: nothing is created) or *failed* (the error is recorded, the raw
   stays; `email_reprocess` or the admin action runs it again). A failure never raises out
   of email_receive, and the failure record cannot fail: if the database refuses it in full,
   a minimal one (status, a fixed ASCII error) is written.
3. **Recover** (`emails_process_stale`, every CXDESK_INBOUND_SWEEP_SECONDS): rows left
   *received* for 10 minutes (their worker died) are processed, fewest attempts first, then
   oldest; every attempt is counted before it starts, and a row tried
   MAX_PROCESSING_ATTEMPTS (5) times is marked failed for the admin, so poison messages can
   neither loop for ever nor keep a genuine message waiting.

Message-IDs are stored and looked up through `references.message_id_key`: the id itself, or
for one over 250 bytes (PostgreSQL cannot index ~2.7 KB) a SHA-256 key; the original stays in
the interaction's metadata.

Threading, first match wins:

- In-Reply-To, then References (newest first), against the Message-IDs stored as
  `Interaction.external_id` on the email channel — inbound messages and agents' replies,
  whose Message-ID the sender stores there;
- a case token in the subject (apps/mail/references.py). Our replies carry
  `[CX-000123-k7f2q9ab]`, the reference and a keyed tag only our own mail knows: a token
  with a valid tag threads whoever sends it (the message came from our mail — a colleague
  forwarding our reply, the customer writing from another address), with
  `threading.sender_known` saying whether the case knew the sender. A bare `[CX-000123]` (mail
  sent before tags existed, or a reference someone typed or guessed) or one with a wrong tag
  threads only a **known sender**: the case's requester (the sender's address is one of the
  requester's identities), a contact who already wrote on the case, or an address in To or
  Cc of one of the case's latest 200 emails (the thread's CC) — at most two queries.
  Anyone else's message **opens a new case** (requester: the sender; team: the mailbox's, as
  for any new case), with `threading = {"by": "subject_reference_unverified", "reference":
  "CX-000123"}`, and both cases get an `unverified_reference` CaseEvent naming the other
  (`after.refers_to` / `after.referred_by`). The referenced case is never reopened and gets
  no message: an internal note on a solved case would be read by nobody, a new case lands in
  a queue, and its agent can merge it if the sender turns out to be legitimate. Nothing of
  this is visible to the sender. Only the From address vouches (a sender read from
  Reply-To, Sender or Return-Path is never known), and From can be forged: the rule stops
  guessed references, not a spoofed known customer — that takes an MTA enforcing
  SPF/DKIM/DMARC before mail reaches cxdesk;
- otherwise a new case: requester found or created from the sender's address, team of the
  mailbox. `interaction_add` applies what a reply means (a solved case reopens, a closed one
  gets a follow-up case).

Auto-replies and bounces (see parsing._classify) are flagged on the InboundEmail and in the
metadata, and stored as *internal* inbound interactions on the case they refer to (threaded
by their headers, the original message a bounce quotes, or the subject token), so they never
open a case, reopen one, or trigger an auto-response. The subject token follows the rule
above, except that a bare token from an unknown sender threads nowhere (no new case is
opened for noise): a note never reopens or notifies the customer, but it does sit in the
case's timeline and goes to webhook subscribers, so a forged "auto-reply" must not be a way
to write into any case. Bounces of our mail thread by the Message-ID they quote, or by the
tagged token of the bounced subject. One that matches no case is kept as a processed
InboundEmail without a case — unless its only sign is an out-of-office-looking subject: that
is a guess, and such mail opens a case like a customer's (flagged suppress_auto_response).
Mail from one of our own mailboxes is treated the same way (a mail loop).

Interaction.metadata of an email: `email` (message_id, in_reply_to, references, from,
from_address, from_name, sender_header, to, cc, reply_to, date, headers: the decoded headers
of parsing.KEPT_HEADERS), `inbound_email_id`, `mailbox_id`, `source`, `provider`,
`threading` (by: in_reply_to | references | bounced_message | subject_reference |
subject_reference_unverified | new_case, plus message_id or reference, and for
subject_reference tag_valid and sender_known), `auto_reply`, `bounce`, `noise_reasons`,
`suppress_auto_response` (with `auto_response_suppressed_by`: never answer it
automatically), `attachments_skipped` (files over CXDESK_MAX_ATTACHMENT_BYTES, reason "too
large", or past CXDESK_MAX_ATTACHMENTS_PER_MESSAGE, "too many"; still in the raw message)
and `mime_defects`.
"""

from __future__ import annotations

import hashlib
import logging
import re
import traceback
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, TypedDict

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from apps.cases import events as case_events
from apps.cases import services as case_services
from apps.cases.models import Case, CaseEvent, Channel, Interaction
from apps.contacts import services as contact_services
from apps.contacts.identities import InvalidIdentity
from apps.contacts.models import Contact
from apps.core.errors import DomainError

from . import parsing, references, selectors
from .models import InboundEmail, Mailbox
from .references import message_id_key

if TYPE_CHECKING:
    from anymail.inbound import AnymailInboundMessage
    from anymail.signals import AnymailInboundEvent

logger = logging.getLogger(__name__)

Status = InboundEmail.Status
Source = InboundEmail.Source
MAX_ERROR_CHARS = 10_000
# The stale sweep gives a message up (marks it failed, for the admin) after this many
# processing attempts that ended without an outcome.
MAX_PROCESSING_ATTEMPTS = 5
MAX_THREAD_IDS = 100  # In-Reply-To, then the newest References: enough for any real thread


class EmailRejected(DomainError):
    """The message cannot become part of a case as it is (e.g. no usable sender address)."""

    code = "email_rejected"
    status = 422


class _LostRace(Exception):
    """Another worker stored this Message-ID while we processed it."""

    def __init__(self, interaction: Interaction):
        super().__init__(f"interaction {interaction.pk} stored it first")
        self.interaction_id, self.case_id = interaction.pk, interaction.case_id


def email_receive(
    *,
    raw: bytes,
    source: str,
    mailbox: Mailbox | None = None,
    provider: str = "",
    imap_uidvalidity: int | None = None,
    imap_uid: int | None = None,
) -> InboundEmail:
    """Store one raw message, then process it. Returns its InboundEmail, whatever became of it.

    Raises only when the raw message itself cannot be stored (the database is down): the
    caller must then keep the message and retry (an MTA or provider gets a 5xx, the IMAP
    poller leaves it on the server).
    """
    if source not in Source.values:
        raise ValueError(f"unknown source {source!r} (one of {', '.join(Source.values)})")
    raw = bytes(raw or b"")
    if imap_uid is not None:
        existing = _imap_delivery(mailbox, imap_uidvalidity, imap_uid)
        if existing is not None:
            return existing
    inbound = InboundEmail(
        mailbox=mailbox,
        source=source,
        provider=(provider or "")[:50],
        raw=raw,
        raw_sha256=hashlib.sha256(raw).hexdigest(),
        message_id=message_id_key(parsing.read_message_id(raw)),
        imap_uidvalidity=imap_uidvalidity,
        imap_uid=imap_uid,
        attempts=1,  # counted before processing starts: a killed worker's attempt counts too
    )
    if imap_uid is None:
        inbound.save()  # in autocommit mode (every caller but a test): committed here
    else:
        try:
            with transaction.atomic():
                inbound.save()
        except IntegrityError:
            existing = _imap_delivery(mailbox, imap_uidvalidity, imap_uid)
            if existing is None:
                raise
            return existing  # a concurrent poll stored this UID first
    return _process_safely(inbound, lock=False)


def _imap_delivery(
    mailbox: Mailbox | None, uidvalidity: int | None, uid: int
) -> InboundEmail | None:
    return (
        InboundEmail.objects.defer("raw")
        .filter(mailbox=mailbox, imap_uidvalidity=uidvalidity, imap_uid=uid)
        .order_by("pk")
        .first()
    )


def email_process(*, inbound_id: int) -> InboundEmail:
    """Process a stored message that is not processed yet (received or failed). Idempotent:
    a processed or duplicate row is returned unchanged. Never raises for a bad message.

    The attempt is counted (and committed, outside a transaction) before processing starts,
    so a message that kills the process still reaches the stale sweep's attempt cap."""
    InboundEmail.objects.filter(pk=inbound_id, status__in=(Status.RECEIVED, Status.FAILED)).update(
        attempts=F("attempts") + 1
    )
    inbound = InboundEmail.objects.select_related("mailbox", "mailbox__team").get(pk=inbound_id)
    return _process_safely(inbound, lock=True)


def email_reprocess(*, inbound_id: int) -> InboundEmail:
    """Run processing again for a failed message (the admin's "re-process" action)."""
    return email_process(inbound_id=inbound_id)


def emails_reprocess(*, inbound_ids: Iterable[int]) -> dict[str, int]:
    """Re-process several messages; returns how many ended in each status."""
    counts: dict[str, int] = {}
    for inbound_id in selectors.inbound_emails_to_reprocess(ids=inbound_ids):
        status = email_reprocess(inbound_id=inbound_id).status
        counts[status] = counts.get(status, 0) + 1
    return counts


def emails_process_stale(
    *,
    older_than: timedelta = timedelta(minutes=10),
    limit: int = 100,
    max_attempts: int = MAX_PROCESSING_ATTEMPTS,
) -> dict[str, int]:
    """Process messages stored but never processed (the worker died in between, or even the
    failure could not be recorded). For a periodic task: bounded, and safe to run twice or
    on two workers (each row is locked and re-checked before it is processed).

    A row whose processing was started `max_attempts` times without an outcome is marked
    failed ("gave_up" in the counts), so it shows in the admin for re-processing instead of
    being retried for ever. The rest are taken fewest attempts first, then oldest: rows that
    keep failing move behind the ones not tried yet, so poison messages that raise cannot
    keep a genuine one waiting for more than a few runs. One that kills the worker ends the
    run it is in (the rows are processed inline); its attempts count, so after
    MAX_PROCESSING_ATTEMPTS runs it is given up and the sweep moves on.
    """
    now = timezone.now()
    received_before = now - older_than
    counts: dict[str, int] = {}
    gave_up = selectors.inbound_emails_stale(
        received_before=received_before, limit=limit, min_attempts=max_attempts
    )
    if gave_up:
        counts["gave_up"] = InboundEmail.objects.filter(
            pk__in=gave_up, status=Status.RECEIVED
        ).update(
            status=Status.FAILED,
            processed_at=now,
            error=f"Gave up after {max_attempts} processing attempts without an outcome (the "
            "process handling it died, or its result could not be stored). Re-process "
            "it from the admin once the cause is fixed.",
        )
    for inbound_id in selectors.inbound_emails_stale(
        received_before=received_before, limit=limit, max_attempts=max_attempts
    ):
        try:
            status = email_process(inbound_id=inbound_id).status
        except Exception:  # noqa: BLE001 — the database refused even the failure record
            logger.exception("stale inbound email %s could not be processed", inbound_id)
            status = "error"
        counts[status] = counts.get(status, 0) + 1
    return counts


def _process_safely(inbound: InboundEmail, *, lock: bool) -> InboundEmail:
    try:
        with transaction.atomic():
            if lock:
                status = (
                    InboundEmail.objects.select_for_update()
                    .filter(pk=inbound.pk)
                    .values_list("status", flat=True)
                    .first()
                )
                if status not in (Status.RECEIVED, Status.FAILED):
                    inbound.status = status  # type: ignore[assignment]  # None: row deleted
                    return inbound
            _process(inbound)
    except _LostRace as race:
        with transaction.atomic():
            _finish(
                inbound, Status.DUPLICATE, case_id=race.case_id, interaction_id=race.interaction_id
            )
    except Exception as exc:  # noqa: BLE001 — any failure is recorded, the raw stays
        logger.warning("inbound email %s failed: %s", inbound.pk, exc, exc_info=True)
        _mark_failed(inbound, exc)
    return inbound


def _mark_failed(inbound: InboundEmail, exc: Exception) -> None:
    """Record the failure. If the full record is refused (whatever in it the database
    cannot take), a minimal one that cannot be: the status and a fixed ASCII error naming
    the exception type. Only a database that refuses that too leaves the row "received",
    for the stale sweep and its attempt cap."""
    detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()
    if not isinstance(exc, EmailRejected | InvalidIdentity):
        detail += "\n\n" + "".join(traceback.format_tb(exc.__traceback__)[-8:])
    inbound.status = Status.FAILED
    inbound.error = _storable(detail)[:MAX_ERROR_CHARS]
    inbound.case = None
    inbound.interaction = None
    inbound.processed_at = timezone.now()
    try:
        with transaction.atomic():  # a savepoint when a caller's transaction is open
            InboundEmail.objects.filter(pk=inbound.pk).update(
                status=inbound.status,
                error=inbound.error,
                case=None,
                interaction=None,
                processed_at=inbound.processed_at,
                is_auto_reply=inbound.is_auto_reply,
                is_bounce=inbound.is_bounce,
                message_id=message_id_key(inbound.message_id),
            )
        return
    except Exception:  # noqa: BLE001 — fall back to what cannot fail
        logger.exception("could not record the failure of inbound email %s in full", inbound.pk)
    inbound.error = (
        (f"{type(exc).__name__} (the full error could not be stored: see the application log)")
        .encode("ascii", "replace")
        .decode()
    )
    try:
        with transaction.atomic():
            InboundEmail.objects.filter(pk=inbound.pk).update(
                status=inbound.status, error=inbound.error, processed_at=inbound.processed_at
            )
    except Exception:  # noqa: BLE001 — the row stays "received"; the stale sweep retries it
        logger.exception("could not record the failure of inbound email %s", inbound.pk)


def _storable(text: str) -> str:
    """Text any database column takes: no NUL, no lone surrogate."""
    return text.replace("\x00", "\\x00").encode("utf-8", "backslashreplace").decode("utf-8")


def _process(inbound: InboundEmail) -> None:
    parsed = parsing.parse_email(bytes(inbound.raw))
    inbound.message_id = message_id_key(parsed.message_id) or inbound.message_id
    inbound.is_auto_reply, inbound.is_bounce = parsed.is_auto_reply, parsed.is_bounce
    if inbound.mailbox_id is None:
        inbound.mailbox = selectors.mailbox_for_addresses(addresses=parsed.recipients())
    mailbox = inbound.mailbox
    noise = list(parsed.noise_reasons)
    sender_address = parsed.sender.address.lower() if parsed.sender else ""
    if mailbox is not None and sender_address == mailbox.email_address.lower():
        noise.append("sent from our own mailbox (mail loop)")
        inbound.is_auto_reply = inbound.is_auto_reply or not parsed.is_bounce

    external_id = (
        message_id_key(parsed.message_id) or f"<{inbound.raw_sha256}@no-message-id.invalid>"
    )
    known = selectors.email_interactions_by_message_id(
        message_ids=[external_id, *parsed.thread_ids[:MAX_THREAD_IDS]]
    )
    if external_id in known:
        interaction_id, case_id = known[external_id]
        _finish(inbound, Status.DUPLICATE, case_id=case_id, interaction_id=interaction_id)
        return
    if noise and _store_noise(inbound, parsed, known, external_id, noise):
        return

    contact, address = _requester(parsed)
    # Only the From address vouches for the sender (it is what SPF/DKIM/DMARC align with):
    # a contact found by Reply-To, Sender or Return-Path is not a known sender.
    from_address = address if _in_from(parsed, address) else ""
    thread = _thread(
        parsed, known, contact=contact if from_address else None, sender_address=from_address
    )
    metadata = _metadata(inbound, parsed, thread.threading, noise)
    message: _Message = {
        "channel": Channel.EMAIL,
        "subject": parsed.subject,
        "body_text": _text(parsed),
        "body_html": parsed.body_html,
        "external_id": external_id,
        "metadata": metadata,
        "occurred_at": inbound.received_at,
    }
    if thread.case_id is not None:
        interaction = case_services.interaction_add(
            case_id=thread.case_id,
            direction=Interaction.Direction.INBOUND,
            author_contact=contact,
            **message,
        )
    else:
        interaction = _open_case(contact, mailbox, message)
    if interaction.metadata.get("inbound_email_id") != inbound.pk:
        # A concurrent delivery of the same Message-ID stored it between our read and our
        # write: roll back what we made (a case or follow-up left without its message).
        raise _LostRace(interaction)
    if thread.unverified_reference is not None:
        _record_unverified_reference(
            new_case=interaction.case, referenced=thread.unverified_reference, sender=contact
        )
    _attach(interaction, parsed)
    _finish(inbound, Status.PROCESSED, case_id=interaction.case_id, interaction_id=interaction.pk)


_loose_address_re = re.compile(r"[\w.+'=-]+@[\w-]+(?:\.[\w-]+)+")


def _requester(parsed: parsing.ParsedEmail) -> tuple[Contact, str]:
    """The sender as a contact (found or created), and the address it was found by: the
    sender parsing chose, else any other address of From, Reply-To, Sender or Return-Path,
    else an address-like token in those headers (`Big Bug bb@bug.com`, `user@example.com.`),
    whichever is valid first."""
    candidates: list[parsing.Address] = [parsed.sender] if parsed.sender else []
    candidates += parsed.sender_candidates
    for name in ("from", "reply-to", "sender", "return-path"):
        candidates += [
            parsing.Address(name="", address=token.rstrip("."))
            for token in _loose_address_re.findall(parsed.headers.get(name, ""))
        ]
    tried: set[str] = set()
    for candidate in candidates:
        address = candidate.address.strip().rstrip(".")
        if not address or address.lower() in tried:
            continue
        tried.add(address.lower())
        try:
            contact, _ = contact_services.contact_find_or_create(
                kind="email", value=address, name=(candidate.name or _sender_name(parsed))[:200]
            )
        except InvalidIdentity:
            continue
        return contact, address
    headers = ", ".join(
        f"{name}: {parsed.headers.get(name.lower(), '')!r}"
        for name in ("From", "Reply-To", "Sender", "Return-Path")
    )
    raise EmailRejected(f"no valid sender address ({headers})")


def _in_from(parsed: parsing.ParsedEmail, address: str) -> bool:
    """Is `address` one of the From header's (as _requester reads them)?"""
    address = address.strip().rstrip(".").lower()
    in_from = {a.address.strip().rstrip(".").lower() for a in parsed.from_}
    in_from.update(
        token.rstrip(".").lower()
        for token in _loose_address_re.findall(parsed.headers.get("from", ""))
    )
    return bool(address) and address in in_from


def _sender_name(parsed: parsing.ParsedEmail) -> str:
    return next((a.name for a in parsed.from_ if a.name), "")


class _Message(TypedDict):
    """An inbound email as the case services take it (interaction_add / case_open)."""

    channel: str
    subject: str
    body_text: str
    body_html: str
    external_id: str
    metadata: dict[str, Any]
    occurred_at: datetime


def _open_case(contact: Contact, mailbox: Mailbox | None, message: _Message) -> Interaction:
    team = mailbox.team if mailbox is not None else None
    if message["body_text"] or message["body_html"]:
        opened = case_services.case_open(requester=contact, team=team, **message)
        assert opened.interaction is not None  # case_open stores a message that has a body
        return opened.interaction
    # case_open stores a first message only when it has a body; a message that is only
    # attachments (or empty) still needs its interaction.
    case = case_services.case_open(
        requester=contact,
        subject=message["subject"],
        channel=Channel.EMAIL,
        team=team,
        occurred_at=message["occurred_at"],
    ).case
    return case_services.interaction_add(
        case_id=case.pk, direction=Interaction.Direction.INBOUND, author_contact=contact, **message
    )


def _text(parsed: parsing.ParsedEmail) -> str:
    """The text part; "" for HTML-only mail, whose text the case services derive."""
    return "" if parsed.text_from_html else parsed.body_text


@dataclass(frozen=True)
class _Thread:
    case_id: int | None  # the case the message is added to; None: a new case
    threading: dict[str, Any]  # how it was found, for the interaction's metadata
    unverified_reference: Case | None = None  # the case an unknown sender's bare token named


def _thread(
    parsed: parsing.ParsedEmail,
    known: dict[str, tuple[int, int]],
    *,
    contact: Contact | None,
    sender_address: str,
) -> _Thread:
    """Which case a message belongs to (see the module docstring for the rules)."""
    for message_id in parsed.thread_ids:
        if message_id in known:
            by = (
                "in_reply_to"
                if message_id in parsed.in_reply_to
                else "references"
                if message_id in parsed.references
                else "bounced_message"
            )
            return _Thread(known[message_id][1], {"by": by, "message_id": message_id})
    subjects = [parsed.subject, parsed.original_subject if parsed.is_bounce else ""]
    for subject in subjects:
        reference = references.subject_reference(subject)
        if reference is None:
            continue
        case = selectors.case_for_reference(case_id=reference.case_id)
        if case is None:
            continue
        sender_known = _sender_known(case, contact=contact, address=sender_address)
        if reference.tag_valid or sender_known:
            return _Thread(
                case.pk,
                {
                    "by": "subject_reference",
                    "reference": case.reference,
                    "tag_valid": reference.tag_valid,
                    "sender_known": sender_known,
                },
            )
        return _Thread(
            None,
            {"by": "subject_reference_unverified", "reference": case.reference},
            unverified_reference=case,
        )
    return _Thread(None, {"by": "new_case"})


def _sender_known(case: Case, *, contact: Contact | None, address: str) -> bool:
    """Is the sender someone the case knows: its requester (any of their identities), a
    contact who wrote on it, or an address in To/Cc of an email on it? At most two queries."""
    if contact is not None and contact.pk == case.requester_id:
        return True
    if contact is not None and selectors.contact_is_on_case(contact_id=contact.pk, case_id=case.pk):
        return True
    return bool(address) and address.lower() in selectors.case_email_participants(case_id=case.pk)


def _record_unverified_reference(*, new_case: Case, referenced: Case, sender: Contact) -> None:
    """The link between the case an unknown sender's message opened and the case its
    subject named, on both (the referenced case is not changed otherwise: no status, no
    interaction, no webhook). Written here rather than by a case service because it is
    only an audit record; it is in the same transaction as the new case, and announced as
    a link (`related`) on both."""
    kind = CaseEvent.Kind.UNVERIFIED_REFERENCE
    CaseEvent.objects.bulk_create(
        [
            CaseEvent(
                case=new_case,
                kind=kind,
                actor_contact=sender,
                after={"refers_to": {"case_id": referenced.pk, "reference": referenced.reference}},
            ),
            CaseEvent(
                case_id=referenced.pk,
                kind=kind,
                actor_contact=sender,
                after={"referred_by": {"case_id": new_case.pk, "reference": new_case.reference}},
            ),
        ]
    )
    case_events.announce_many(
        [
            case_events.change(
                new_case, related={"refers_to": referenced.pk}, actor_contact=sender
            ),
            case_events.change(
                referenced, related={"referred_by": new_case.pk}, actor_contact=sender
            ),
        ]
    )


def _store_noise(
    inbound: InboundEmail,
    parsed: parsing.ParsedEmail,
    known: dict[str, tuple[int, int]],
    external_id: str,
    noise: list[str],
) -> bool:
    """An auto-reply, bounce or loop: an internal note on its case, or no case at all.
    Returns False, storing nothing, for a message whose only sign of an auto-reply is its
    subject and that refers to no case: a person may have begun "Absence: …" or "Auto reply
    not working", and such mail is processed as a customer's (it opens a case, flagged never
    to be answered automatically) rather than kept where no agent sees it.

    Threaded like any message, except that a bare subject token from a sender the case does
    not know threads nowhere (the message is kept, without a case): a note is not harmless,
    it sits in the case's timeline and goes to webhook subscribers, so a forged auto-reply
    must not be a way to write into any case."""
    author = (
        selectors.contact_by_email(address=parsed.sender.address)
        if (parsed.sender and not parsed.is_bounce)
        else None
    )
    from_address = (
        parsed.sender.address if (parsed.sender and _in_from(parsed, parsed.sender.address)) else ""
    )
    thread = _thread(
        parsed, known, contact=author if from_address else None, sender_address=from_address
    )
    if thread.case_id is None:
        if noise == [parsing.OUT_OF_OFFICE_SUBJECT]:
            inbound.is_auto_reply = False
            return False
        earlier = selectors.inbound_email_processed_before(
            message_id=parsed.message_id, exclude_id=inbound.pk
        )
        status = Status.DUPLICATE if earlier else Status.PROCESSED
        _finish(inbound, status, case_id=None, interaction_id=None)
        return True
    interaction = case_services.interaction_add(
        case_id=thread.case_id,
        channel=Channel.EMAIL,
        direction=Interaction.Direction.INBOUND,
        is_public=False,
        author_contact=author,
        subject=parsed.subject,
        body_text=_text(parsed),
        body_html=parsed.body_html,
        external_id=external_id,
        metadata=_metadata(inbound, parsed, thread.threading, noise),
        occurred_at=inbound.received_at,
    )
    if interaction.metadata.get("inbound_email_id") != inbound.pk:
        raise _LostRace(interaction)
    _attach(interaction, parsed)
    _finish(inbound, Status.PROCESSED, case_id=interaction.case_id, interaction_id=interaction.pk)
    return True


def _attachable(
    parsed: parsing.ParsedEmail,
) -> tuple[list[parsing.ParsedAttachment], list[dict[str, Any]]]:
    limit = settings.CXDESK_MAX_ATTACHMENT_BYTES
    cap = settings.CXDESK_MAX_ATTACHMENTS_PER_MESSAGE
    kept: list[parsing.ParsedAttachment] = []
    skipped: list[dict[str, Any]] = []
    for attachment in parsed.attachments:
        too_large, too_many = len(attachment.content) > limit, len(kept) >= cap
        if too_large or too_many:
            skipped.append(
                {
                    "filename": attachment.filename[:255],
                    "content_type": attachment.content_type,
                    "size": len(attachment.content),
                    "reason": "too large" if too_large else "too many",
                }
            )
        else:
            kept.append(attachment)
    return kept, skipped


def _attach(interaction: Interaction, parsed: parsing.ParsedEmail) -> None:
    kept, _ = _attachable(parsed)
    case_services.attachments_add(
        interaction=interaction,
        files=[
            {
                "filename": attachment.filename,
                "content": attachment.content,
                "content_type": attachment.content_type[:255],
                "content_id": attachment.content_id,
            }
            for attachment in kept
        ],
    )


def _metadata(
    inbound: InboundEmail,
    parsed: parsing.ParsedEmail,
    threading: dict[str, Any],
    noise: list[str],
) -> dict[str, Any]:
    _, skipped = _attachable(parsed)
    sender = parsed.sender
    return {
        "email": {
            "message_id": parsed.message_id,
            "in_reply_to": parsed.in_reply_to,
            "references": parsed.references[-50:],
            "from": str(sender) if sender else "",
            "from_address": sender.address if sender else "",
            "from_name": sender.name if sender else "",
            "sender_header": parsed.sender_header,
            "to": [str(a) for a in parsed.to][:100],
            "cc": [str(a) for a in parsed.cc][:100],
            "reply_to": [str(a) for a in parsed.reply_to][:20],
            "date": parsed.date.isoformat() if parsed.date else None,
            "headers": parsed.headers,
        },
        "inbound_email_id": inbound.pk,
        "mailbox_id": inbound.mailbox_id,
        "source": inbound.source,
        "provider": inbound.provider,
        "threading": threading,
        "auto_reply": inbound.is_auto_reply,
        "bounce": inbound.is_bounce,
        "noise_reasons": noise,
        # Never answer this one automatically (list/bulk mail, X-Auto-Response-Suppress,
        # a null Return-Path, and every kind of noise): for auto-responders and surveys.
        "suppress_auto_response": parsed.suppress_auto_response or bool(noise),
        "auto_response_suppressed_by": [*parsed.auto_response_suppressed_by, *noise],
        "attachments_skipped": skipped,
        "mime_defects": parsed.defects,
    }


def _finish(
    inbound: InboundEmail, status: str, *, case_id: int | None, interaction_id: int | None
) -> None:
    inbound.status = status
    inbound.case_id = case_id
    inbound.interaction_id = interaction_id
    inbound.error = ""
    inbound.processed_at = timezone.now()
    inbound.save(
        update_fields=[
            "status",
            "case",
            "interaction",
            "error",
            "processed_at",
            "attempts",
            "message_id",
            "is_auto_reply",
            "is_bounce",
            "mailbox",
        ]
    )


# --- Email providers' inbound webhooks (django-anymail) -------------------------------------


def anymail_raw_bytes(message: AnymailInboundMessage) -> bytes:
    """The RFC 5322 bytes of an AnymailInboundMessage (never raises)."""
    for make in (message.as_bytes, lambda: message.as_string().encode("utf-8", "surrogateescape")):
        try:
            raw: bytes = make()
            return raw
        except Exception:  # noqa: BLE001 — a malformed message; try the next rendering
            continue
    return str(message).encode("utf-8", "replace")


def anymail_inbound_received(
    sender: object, event: AnymailInboundEvent, esp_name: str, **kwargs: object
) -> InboundEmail:
    """Receiver of `anymail.signals.inbound`: one provider webhook message → email_receive.

    The webhook view answers 400 before this runs when the basic-auth secret (or the
    provider's signature) is wrong, and 500 if the message could not even be stored, so the
    provider retries it.
    """
    message = event.message
    recipient = getattr(message, "envelope_recipient", None) or ""
    mailbox = selectors.mailbox_by_address(address=recipient) if recipient else None
    return email_receive(
        raw=anymail_raw_bytes(message),
        source=Source.WEBHOOK,
        mailbox=mailbox,
        provider=(esp_name or "").lower(),
    )
