"""Writes of the social channel: storing webhook events and turning them into cases.

The life of one social message
------------------------------
1. The webhook view checks the signature (403) and the envelope (400), and `inbound` splits
   the body into pieces, one per customer message.
2. `events_receive` stores each piece as a SocialEvent first — the raw event, in its own
   autocommit write. The same network message id is stored once (unique constraint), so a
   redelivery is counted as a duplicate and creates nothing.
3. `event_process` claims the event (received/failed → processing, one conditional UPDATE)
   and, in its own transaction, reads it, finds the SocialAccount it was sent to, the contact
   (by the sender's stable network id), and the conversation's case, and adds the
   interaction (`case_open` / `interaction_add`, external_id = the network's message id).
   What goes wrong rolls back that one event only: it is marked failed with the error (or
   ignored, for events we keep but do not turn into cases) and the rest of the batch goes on.
   The provider gets 200 for the batch, so it does not retry forever a message it cannot
   improve; the admin re-processes failed events (e.g. after adding the missing account).
4. A beat sweep (`tasks.process_stale_events`) processes events a crashed request left
   received or claimed. A released claim counts as an attempt: an event that kills its
   worker MAX_ATTEMPTS times is marked failed with that error, for the admin to re-process,
   instead of being tried again every sweep for ever.

Claiming, the still-ours guard on the result, the attempt cap and the sweep are the outbox
engine's (apps/core/outbox.py): a worker that outlived its claim writes nothing.
"""

import logging
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.cases import services as case_services
from apps.cases.models import Channel, Interaction
from apps.contacts import services as contact_services
from apps.contacts.identities import InvalidIdentity
from apps.contacts.models import Contact, ContactIdentity
from apps.core.errors import DomainError
from apps.core.outbox import Outbox

from . import inbound, selectors
from .models import SocialAccount, SocialEvent

logger = logging.getLogger(__name__)

Status = SocialEvent.Status
STALE_CLAIM_AFTER = timedelta(minutes=5)
RECEIVED_GRACE = timedelta(minutes=2)  # a request is still processing what it just stored
ERROR_CHARS = 2000
MAX_ATTEMPTS = 5  # claims lost to a dead worker before the event is given up (failed)

# Every processing failure is final (the admin re-processes), so no backoff: the outbox is
# here for the claim, the still-ours guard and the release of lost claims with its cap.
EVENTS = Outbox(
    model=SocialEvent,
    ready=Status.RECEIVED,
    claimed=Status.PROCESSING,
    done=Status.PROCESSED,
    failed=Status.FAILED,
    max_attempts=MAX_ATTEMPTS,
    lease=STALE_CLAIM_AFTER,
    next_attempt_field=None,
    due_field="received_at",
    due_grace=RECEIVED_GRACE,
    claim_from=(Status.RECEIVED, Status.FAILED),  # a provider's redelivery retries a failure
    error_chars=ERROR_CHARS,
    lost_error="the worker processing this event stopped before it finished; claim released",
    gave_up_error=f"the worker processing this event stopped before it finished, "
    f"{MAX_ATTEMPTS} times; fix the cause, then re-process it",
)


class AccountNotConfigured(DomainError):
    """The event was sent to an account cxdesk has no active SocialAccount for."""

    code = "social_account_not_configured"
    status = 422


@dataclass
class ReceiveResult:
    """What became of one webhook body; also the JSON the provider gets back."""

    received: int = 0  # customer messages in the body
    processed: int = 0
    duplicates: int = 0
    ignored: int = 0  # receipts, echoes, own messages, and events kept but not made cases
    failed: int = 0  # kept raw with their error, to re-process

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def events_receive(*, batch: inbound.Batch) -> ReceiveResult:
    """Store every piece of a webhook body, then process each on its own."""
    result = ReceiveResult(received=len(batch.pieces), ignored=batch.skipped)
    for piece in batch.pieces:
        event, created = _event_store(piece)
        if not created and event.status != Status.FAILED:
            result.duplicates += 1
            continue
        if created and piece.error:
            result.failed += 1
            continue
        event = event_process(event_id=event.pk)
        if not created and event.status == Status.PROCESSED:
            result.duplicates += 1  # a redelivery of a failed event, which now went through
        elif event.status == Status.PROCESSED:
            result.processed += 1
        elif event.status == Status.IGNORED:
            result.ignored += 1
        else:
            result.failed += 1
    return result


def _event_store(piece: inbound.Piece) -> tuple[SocialEvent, bool]:
    """The stored event for this piece: (existing, False) for a message stored before."""
    fields = {
        "network": piece.network,
        "kind": piece.kind,
        "account_external_id": piece.account_external_id[:64],
        "external_id": piece.external_id[:255],
        "payload": piece.payload,
    }
    if piece.error:
        fields.update(status=Status.FAILED, error=piece.error[:ERROR_CHARS])
    if not fields["external_id"]:
        return SocialEvent.objects.create(**fields), True
    lookup = {"network": piece.network, "external_id": fields["external_id"]}
    existing = SocialEvent.objects.filter(**lookup).first()
    if existing:
        return existing, False
    try:
        with transaction.atomic():
            return SocialEvent.objects.create(**fields), True
    except IntegrityError:  # the same message delivered twice at once: the other won
        return SocialEvent.objects.get(**lookup), False


def event_process(*, event_id: int, now: datetime | None = None) -> SocialEvent:
    """Turn one received (or failed) event into an interaction. Safe to call twice.

    Returns the event with its outcome: processed (case and interaction set), ignored or
    failed (error set). An event another worker holds, or one processed already, is returned
    as it is.
    """
    now = now or timezone.now()
    claim = EVENTS.claim(event_id, now=now)
    if claim is None:
        return SocialEvent.objects.get(pk=event_id)
    event: SocialEvent = claim.row
    fields: dict[str, Any] = {"processed_at": timezone.now()}
    try:
        with transaction.atomic():
            account, interaction = _ingest(event)
    except inbound.NotAMessage as exc:
        fields.update(status=Status.IGNORED, error=str(exc))
    except (
        inbound.Unreadable,
        AccountNotConfigured,
        InvalidIdentity,
        case_services.CaseError,
    ) as exc:
        fields.update(status=Status.FAILED, error=str(exc))
    except Exception as exc:  # noqa: BLE001 — one event's bug must not lose the batch
        logger.exception("social event %s could not be processed", event_id)
        fields.update(status=Status.FAILED, error=f"{type(exc).__name__}: {exc}")
    else:
        fields.update(
            status=Status.PROCESSED,
            error="",
            account=account,
            case_id=interaction.case_id,
            interaction=interaction,
        )
    if fields["status"] != Status.PROCESSED:
        fields["account"] = _account_for(
            event.network, event.account_external_id, active_only=False
        )
    EVENTS.finish(claim, **fields)  # only while the claim is ours: a newer one's result stands
    event.refresh_from_db()
    return event


def _account_for(
    network: str, external_id: str, *, active_only: bool = True
) -> SocialAccount | None:
    if not external_id:
        return None
    accounts = SocialAccount.objects.filter(network=network, external_id=external_id)
    if active_only:
        accounts = accounts.filter(is_active=True)
    return accounts.select_related("team").first()


def _ingest(event: SocialEvent) -> tuple[SocialAccount, Interaction]:
    """Read, route and store one event. Runs inside the event's own transaction."""
    message = inbound.message_from(event.network, event.kind, event.payload)
    account = _account_for(event.network, message.account_external_id)
    if account is None:
        label = inbound.NETWORK_LABELS.get(event.network, event.network)
        raise AccountNotConfigured(
            f"no active {label} account with id {message.account_external_id!r}: add it "
            "under Social accounts in the admin (or activate it), then re-process this event"
        )
    if message.message_id:
        existing = Interaction.objects.filter(
            channel=Channel.SOCIAL, external_id=message.message_id
        ).first()
        if existing:
            return account, existing
    contact, _ = contact_services.contact_find_or_create(
        kind=ContactIdentity.Kind.SOCIAL,
        network=event.network,
        value=message.sender_id,
        name=message.display_name[:200],
    )
    # One person's messages are threaded one at a time (two first messages → one case).
    Contact.objects.select_for_update().filter(pk=contact.pk).first()
    metadata = _metadata(message, account, event)
    case_id = selectors.conversation_case_id(contact=contact, account=account)
    if case_id is not None:
        interaction = case_services.interaction_add(
            case_id=case_id,
            channel=Channel.SOCIAL,
            direction=Interaction.Direction.INBOUND,
            author_contact=contact,
            body_text=message.body_text,
            external_id=message.message_id,
            metadata=metadata,
            occurred_at=message.occurred_at,
        )
        return account, interaction
    opened = case_services.case_open(
        requester=contact,
        subject=message.subject,
        channel=Channel.SOCIAL,
        team=account.team,
        body_text=message.body_text,
        external_id=message.message_id,
        metadata=metadata,
        occurred_at=message.occurred_at,
    )
    # The message case_open stored (no re-read: after a lost race the row is elsewhere).
    assert opened.interaction is not None  # a social message always has a body
    return account, opened.interaction


def _metadata(
    message: inbound.InboundMessage, account: SocialAccount, event: SocialEvent
) -> dict[str, Any]:
    """What an agent, an integration and the reply sender need to know about the message."""
    metadata = {
        "network": message.network,
        "kind": message.kind,  # dm, comment or mention
        "social_account_id": account.pk,
        "account_external_id": account.external_id,
        "message_id": message.message_id,
        "sender_id": message.sender_id,  # the stable id, also the contact identity
        "sender_handle": message.sender_handle,  # username / screen name at that time
        "sender_name": message.sender_name,
        "social_event_id": event.pk,
        **message.details,
    }
    if message.attachments:
        metadata["attachments"] = message.attachments
    return {k: v for k, v in metadata.items() if v not in ("", None)}


# --- Re-processing ---------------------------------------------------------------------------


def event_reprocess(*, event_id: int) -> SocialEvent:
    """An admin's "re-process": a failed or ignored event is read and routed again."""
    EVENTS.retry_now([event_id], from_statuses=[Status.FAILED, Status.IGNORED])
    return event_process(event_id=event_id)


def events_process_stale(*, now: datetime | None = None, limit: int = 200) -> int:
    """Sweep: process what a crashed request left received or claimed. Safe to run twice.

    Lost claims are released first, each counting as an attempt (failed at MAX_ATTEMPTS)."""
    now = now or timezone.now()
    EVENTS.release_stale(now=now)
    ids = EVENTS.due(limit=limit, now=now)
    for event_id in ids:
        event_process(event_id=event_id, now=now)
    return len(ids)
