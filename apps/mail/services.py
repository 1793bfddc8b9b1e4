"""Email in: one path from raw bytes to a case, whatever brought the message.

    email_receive(raw=…, source="imap" | "upload" | "webhook", mailbox=…, provider=…)

1. **Store first.** The raw bytes are written as an InboundEmail (SHA-256, Message-ID when
   the header block can be read) and committed before anything is parsed, so nothing a
   customer sent is lost, even if processing then crashes. An IMAP redelivery of the same
   (mailbox, UIDVALIDITY, UID) returns the row stored the first time.
2. **Process** (`email_process`), in one transaction: parse (apps/mail/parsing.py), find the
   thread, store the message through the case services, attach its files, and mark the row
   *processed* (with its case and interaction), *duplicate* (its Message-ID is stored on the
   email channel already: nothing is created) or *failed* (the error is recorded, the raw
   stays; `email_reprocess` or the admin action runs it again). A failure never raises out
   of email_receive.

Threading, first match wins:

- In-Reply-To, then References (newest first), against the Message-IDs stored as
  `Interaction.external_id` on the email channel — inbound messages and agents' replies,
  whose Message-ID the sender stores there;
- a `[CX-000123]` token in the subject. A sender who is not the requester and never wrote
  on the case still threads (a forwarding colleague does that), and the interaction's
  metadata says so (`threading.sender_known: false`);
- otherwise a new case: requester found or created from the sender's address, team of the
  mailbox. `interaction_add` applies what a reply means (a solved case reopens, a closed one
  gets a follow-up case).

Auto-replies and bounces (see parsing._classify) are flagged on the InboundEmail and in the
metadata, and stored as *internal* inbound interactions on the case they refer to (threaded
by their headers, the original message a bounce quotes, or the subject token), so they never
open a case, reopen one, or trigger an auto-response. One that matches no case is kept as a
processed InboundEmail without a case. Mail from one of our own mailboxes is treated the same
way (a mail loop).

Interaction.metadata of an email: `email` (message_id, in_reply_to, references, from,
from_address, from_name, sender_header, to, cc, reply_to, date, headers: the decoded headers
of parsing.KEPT_HEADERS), `inbound_email_id`, `mailbox_id`, `source`, `provider`,
`threading` (by: in_reply_to | references | bounced_message | subject_reference | new_case,
plus message_id or reference and sender_known), `auto_reply`, `bounce`, `noise_reasons`,
`attachments_skipped` (files over CXDESK_MAX_ATTACHMENT_BYTES, reason "too large", or past
CXDESK_MAX_ATTACHMENTS_PER_MESSAGE, "too many"; still in the raw message) and `mime_defects`.
"""

from __future__ import annotations

import hashlib
import logging
import re
import traceback
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.cases import services as case_services
from apps.cases.models import Channel, Interaction, parse_reference
from apps.contacts import services as contact_services
from apps.contacts.identities import InvalidIdentity
from apps.contacts.models import Contact

from . import parsing, selectors
from .models import InboundEmail, Mailbox

logger = logging.getLogger(__name__)

Status = InboundEmail.Status
Source = InboundEmail.Source
MAX_ERROR_CHARS = 10_000
MAX_THREAD_IDS = 100  # In-Reply-To, then the newest References: enough for any real thread
_subject_reference_re = re.compile(r"\[\s*(CX-\d{1,12})\s*\]", re.IGNORECASE)


class EmailRejected(Exception):
    """The message cannot become part of a case as it is (e.g. no usable sender address)."""


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
        mailbox=mailbox, source=source, provider=(provider or "")[:50], raw=raw,
        raw_sha256=hashlib.sha256(raw).hexdigest(), message_id=parsing.read_message_id(raw),
        imap_uidvalidity=imap_uidvalidity, imap_uid=imap_uid,
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


def _imap_delivery(mailbox, uidvalidity, uid) -> InboundEmail | None:
    return InboundEmail.objects.defer("raw").filter(
        mailbox=mailbox, imap_uidvalidity=uidvalidity, imap_uid=uid).order_by("pk").first()


def email_process(*, inbound_id: int) -> InboundEmail:
    """Process a stored message that is not processed yet (received or failed). Idempotent:
    a processed or duplicate row is returned unchanged. Never raises for a bad message."""
    inbound = InboundEmail.objects.select_related("mailbox", "mailbox__team").get(pk=inbound_id)
    return _process_safely(inbound, lock=True)


def email_reprocess(*, inbound_id: int) -> InboundEmail:
    """Run processing again for a failed message (the admin's "re-process" action)."""
    return email_process(inbound_id=inbound_id)


def emails_reprocess(*, inbound_ids) -> dict[str, int]:
    """Re-process several messages; returns how many ended in each status."""
    counts: dict[str, int] = {}
    for inbound_id in selectors.inbound_emails_to_reprocess(ids=inbound_ids):
        status = email_reprocess(inbound_id=inbound_id).status
        counts[status] = counts.get(status, 0) + 1
    return counts


def emails_process_stale(*, older_than: timedelta = timedelta(minutes=10),
                         limit: int = 100) -> dict[str, int]:
    """Process messages stored but never processed (the worker died in between). For a
    periodic task: bounded, and safe to run twice or on two workers (each row is locked and
    re-checked before it is processed)."""
    counts: dict[str, int] = {}
    for inbound_id in selectors.inbound_emails_stale(
            received_before=timezone.now() - older_than, limit=limit):
        status = email_process(inbound_id=inbound_id).status
        counts[status] = counts.get(status, 0) + 1
    return counts


def _process_safely(inbound: InboundEmail, *, lock: bool) -> InboundEmail:
    try:
        with transaction.atomic():
            if lock:
                status = (InboundEmail.objects.select_for_update().filter(pk=inbound.pk)
                          .values_list("status", flat=True).first())
                if status not in (Status.RECEIVED, Status.FAILED):
                    inbound.status = status
                    return inbound
            _process(inbound)
    except _LostRace as race:
        with transaction.atomic():
            _finish(inbound, Status.DUPLICATE, case_id=race.case_id,
                    interaction_id=race.interaction_id)
    except Exception as exc:  # noqa: BLE001 — any failure is recorded, the raw stays
        logger.warning("inbound email %s failed: %s", inbound.pk, exc, exc_info=True)
        _mark_failed(inbound, exc)
    return inbound


def _mark_failed(inbound: InboundEmail, exc: Exception) -> None:
    detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()
    if not isinstance(exc, EmailRejected | InvalidIdentity):
        detail += "\n\n" + "".join(traceback.format_tb(exc.__traceback__)[-8:])
    inbound.status = Status.FAILED
    inbound.error = detail[:MAX_ERROR_CHARS]
    inbound.case = None
    inbound.interaction = None
    inbound.processed_at = timezone.now()
    try:
        InboundEmail.objects.filter(pk=inbound.pk).update(
            status=inbound.status, error=inbound.error, case=None, interaction=None,
            attempts=inbound.attempts, processed_at=inbound.processed_at,
            is_auto_reply=inbound.is_auto_reply, is_bounce=inbound.is_bounce,
            message_id=inbound.message_id)
    except Exception:  # noqa: BLE001 — the row stays "received"; reprocessing finds it
        logger.exception("could not record the failure of inbound email %s", inbound.pk)


def _process(inbound: InboundEmail) -> None:
    inbound.attempts += 1
    parsed = parsing.parse_email(bytes(inbound.raw))
    inbound.message_id = parsed.message_id or inbound.message_id
    inbound.is_auto_reply, inbound.is_bounce = parsed.is_auto_reply, parsed.is_bounce
    if inbound.mailbox_id is None:
        inbound.mailbox = selectors.mailbox_for_addresses(addresses=parsed.recipients())
    mailbox = inbound.mailbox
    noise = list(parsed.noise_reasons)
    sender_address = parsed.sender.address.lower() if parsed.sender else ""
    if mailbox is not None and sender_address == mailbox.email_address.lower():
        noise.append("sent from our own mailbox (mail loop)")
        inbound.is_auto_reply = inbound.is_auto_reply or not parsed.is_bounce

    external_id = parsed.message_id or f"<{inbound.raw_sha256}@no-message-id.invalid>"
    known = selectors.email_interactions_by_message_id(
        message_ids=[external_id, *parsed.thread_ids[:MAX_THREAD_IDS]])
    if external_id in known:
        interaction_id, case_id = known[external_id]
        _finish(inbound, Status.DUPLICATE, case_id=case_id, interaction_id=interaction_id)
        return
    if noise:
        _store_noise(inbound, parsed, known, external_id, noise)
        return

    contact = _requester(parsed)
    case_id, threading = _thread(parsed, known, contact=contact)
    metadata = _metadata(inbound, parsed, threading, noise)
    message = {
        "channel": Channel.EMAIL, "subject": parsed.subject, "body_text": _text(parsed),
        "body_html": parsed.body_html, "external_id": external_id, "metadata": metadata,
        "occurred_at": inbound.received_at,
    }
    if case_id is not None:
        interaction = case_services.interaction_add(
            case_id=case_id, direction=Interaction.Direction.INBOUND, author_contact=contact,
            **message)
    else:
        interaction = _open_case(contact, mailbox, message)
    if interaction.metadata.get("inbound_email_id") != inbound.pk:
        # A concurrent delivery of the same Message-ID stored it between our read and our
        # write: roll back what we made (a case or follow-up left without its message).
        raise _LostRace(interaction)
    _attach(interaction, parsed)
    _finish(inbound, Status.PROCESSED, case_id=interaction.case_id,
            interaction_id=interaction.pk)


_loose_address_re = re.compile(r"[\w.+'=-]+@[\w-]+(?:\.[\w-]+)+")


def _requester(parsed: parsing.ParsedEmail) -> Contact:
    """The sender as a contact (found or created): the sender parsing chose, else any other
    address of From, Reply-To, Sender or Return-Path, else an address-like token in those
    headers (`Big Bug bb@bug.com`, `user@example.com.`), whichever is valid first."""
    candidates: list[parsing.Address] = [parsed.sender] if parsed.sender else []
    candidates += parsed.sender_candidates
    for name in ("from", "reply-to", "sender", "return-path"):
        candidates += [parsing.Address(name="", address=token.rstrip("."))
                       for token in _loose_address_re.findall(parsed.headers.get(name, ""))]
    tried: set[str] = set()
    for candidate in candidates:
        address = candidate.address.strip().rstrip(".")
        if not address or address.lower() in tried:
            continue
        tried.add(address.lower())
        try:
            contact, _ = contact_services.contact_find_or_create(
                kind="email", value=address, name=(candidate.name or _sender_name(parsed))[:200])
        except InvalidIdentity:
            continue
        return contact
    raise EmailRejected(
        "no valid sender address (From: {!r}, Reply-To: {!r}, Sender: {!r}, Return-Path: {!r})"
        .format(*(parsed.headers.get(h, "") for h in ("from", "reply-to", "sender",
                                                      "return-path"))))


def _sender_name(parsed: parsing.ParsedEmail) -> str:
    return next((a.name for a in parsed.from_ if a.name), "")


def _open_case(contact: Contact, mailbox: Mailbox | None, message: dict) -> Interaction:
    team = mailbox.team if mailbox is not None else None
    if message["body_text"] or message["body_html"]:
        case = case_services.case_open(requester=contact, team=team, **message)
        return case.opening_interaction
    # case_open stores a first message only when it has a body; a message that is only
    # attachments (or empty) still needs its interaction.
    case = case_services.case_open(requester=contact, subject=message["subject"],
                                   channel=Channel.EMAIL, team=team,
                                   occurred_at=message["occurred_at"])
    return case_services.interaction_add(case_id=case.pk, direction=Interaction.Direction.INBOUND,
                                         author_contact=contact, **message)


def _text(parsed: parsing.ParsedEmail) -> str:
    """The text part; "" for HTML-only mail, whose text the case services derive."""
    return "" if parsed.text_from_html else parsed.body_text


def _subject_reference(subject: str) -> int | None:
    match = _subject_reference_re.search(subject or "")
    return parse_reference(match.group(1)) if match else None


def _thread(parsed: parsing.ParsedEmail, known: dict, *,
            contact: Contact | None) -> tuple[int | None, dict]:
    """(case id, how it was found) for a message, or (None, {"by": "new_case"})."""
    for message_id in parsed.thread_ids:
        if message_id in known:
            by = ("in_reply_to" if message_id in parsed.in_reply_to else
                  "references" if message_id in parsed.references else "bounced_message")
            return known[message_id][1], {"by": by, "message_id": message_id}
    subjects = [parsed.subject, parsed.original_subject if parsed.is_bounce else ""]
    for subject in subjects:
        reference = _subject_reference(subject)
        if reference is None:
            continue
        case = selectors.case_for_reference(case_id=reference)
        if case is None:
            continue
        threading = {"by": "subject_reference", "reference": case.reference}
        if contact is not None:
            threading["sender_known"] = contact.pk == case.requester_id or (
                selectors.contact_is_on_case(contact_id=contact.pk, case_id=case.pk))
        return case.pk, threading
    return None, {"by": "new_case"}


def _store_noise(inbound: InboundEmail, parsed: parsing.ParsedEmail, known: dict,
                 external_id: str, noise: list[str]) -> None:
    """An auto-reply, bounce or loop: an internal note on its case, or no case at all."""
    case_id, threading = _thread(parsed, known, contact=None)
    if case_id is None:
        earlier = selectors.inbound_email_processed_before(message_id=parsed.message_id,
                                                           exclude_id=inbound.pk)
        status = Status.DUPLICATE if earlier else Status.PROCESSED
        _finish(inbound, status, case_id=None, interaction_id=None)
        return
    author = selectors.contact_by_email(address=parsed.sender.address) if (
        parsed.sender and not parsed.is_bounce) else None
    interaction = case_services.interaction_add(
        case_id=case_id, channel=Channel.EMAIL, direction=Interaction.Direction.INBOUND,
        is_public=False, author_contact=author, subject=parsed.subject,
        body_text=_text(parsed), body_html=parsed.body_html, external_id=external_id,
        metadata=_metadata(inbound, parsed, threading, noise), occurred_at=inbound.received_at)
    if interaction.metadata.get("inbound_email_id") != inbound.pk:
        raise _LostRace(interaction)
    _attach(interaction, parsed)
    _finish(inbound, Status.PROCESSED, case_id=interaction.case_id,
            interaction_id=interaction.pk)


def _attachable(parsed: parsing.ParsedEmail) -> tuple[list, list[dict]]:
    limit = settings.CXDESK_MAX_ATTACHMENT_BYTES
    cap = settings.CXDESK_MAX_ATTACHMENTS_PER_MESSAGE
    kept, skipped = [], []
    for attachment in parsed.attachments:
        too_large, too_many = len(attachment.content) > limit, len(kept) >= cap
        if too_large or too_many:
            skipped.append({"filename": attachment.filename[:255],
                            "content_type": attachment.content_type,
                            "size": len(attachment.content),
                            "reason": "too large" if too_large else "too many"})
        else:
            kept.append(attachment)
    return kept, skipped


def _attach(interaction: Interaction, parsed: parsing.ParsedEmail) -> None:
    kept, _ = _attachable(parsed)
    for attachment in kept:
        case_services.attachment_add(
            interaction=interaction, filename=attachment.filename, content=attachment.content,
            content_type=attachment.content_type[:255], content_id=attachment.content_id)


def _metadata(inbound: InboundEmail, parsed: parsing.ParsedEmail, threading: dict,
              noise: list[str]) -> dict:
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
        "attachments_skipped": skipped,
        "mime_defects": parsed.defects,
    }


def _finish(inbound: InboundEmail, status: str, *, case_id: int | None,
            interaction_id: int | None) -> None:
    inbound.status = status
    inbound.case_id = case_id
    inbound.interaction_id = interaction_id
    inbound.error = ""
    inbound.processed_at = timezone.now()
    inbound.save(update_fields=[
        "status", "case", "interaction", "error", "processed_at", "attempts", "message_id",
        "is_auto_reply", "is_bounce", "mailbox"])


# --- Email providers' inbound webhooks (django-anymail) -------------------------------------


def anymail_raw_bytes(message) -> bytes:
    """The RFC 5322 bytes of an AnymailInboundMessage (never raises)."""
    for make in (message.as_bytes,
                 lambda: message.as_string().encode("utf-8", "surrogateescape")):
        try:
            return make()
        except Exception:  # noqa: BLE001 — a malformed message; try the next rendering
            continue
    return str(message).encode("utf-8", "replace")


def anymail_inbound_received(sender, event, esp_name, **kwargs) -> InboundEmail:
    """Receiver of `anymail.signals.inbound`: one provider webhook message → email_receive.

    The webhook view answers 400 before this runs when the basic-auth secret (or the
    provider's signature) is wrong, and 500 if the message could not even be stored, so the
    provider retries it.
    """
    message = event.message
    recipient = getattr(message, "envelope_recipient", None) or ""
    mailbox = selectors.mailbox_by_address(address=recipient) if recipient else None
    return email_receive(raw=anymail_raw_bytes(message), source=Source.WEBHOOK,
                         mailbox=mailbox, provider=(esp_name or "").lower())
