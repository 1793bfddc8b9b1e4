"""Sending agents' public replies on the case's channel, through one sender per channel.

A reply on a channel that has a sender (settings.CXDESK_OUTBOUND_SENDERS, channel → dotted
path of `send(interaction) -> str | None`) is stored with delivery_status "pending" and sent
by the `send_interaction` task after commit. The task claims the row (pending → sending) with
a conditional UPDATE, so a redelivered task sends nothing twice; the sender returns the
channel's id for the message (stored as external_id) or raises:

- TransientSendError: the channel may accept it later → retried with exponential backoff
  (30 s × 2^(n-1), at most 2 h, plus up to 10 % jitter), failed after MAX_ATTEMPTS;
- PermanentSendError: it never will (bad address, blocked user) → failed at once.

Failures are visible on the interaction (delivery_status, delivery_error, delivery_attempts).
A beat sweep sends what a lost task left pending and releases stale claims.

Delivery is at-least-once. A worker that dies mid-send leaves its claim; once the claim is
older than the lease (settings.CXDESK_OUTBOUND_CLAIM_LEASE_SECONDS, 120 s by default, longer
than an SMTP send can take with EMAIL_TIMEOUT) the sweep releases it, counting the attempt,
and the message is sent again. If the first send had reached the provider, the customer's
server gets it twice — with the same Message-ID (the email sender makes it once and stores
it before the first attempt), so mail servers and clients can drop the copy. A worker that
outlives its lease cannot overwrite the result of the one that took over.

Claiming, the still-ours guard, backoff, the cap and the sweep are the outbox engine's
(apps/core/outbox.py); this module says how one interaction is sent.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string

from apps.core.outbox import Backoff, Outbox

from .models import Interaction

Delivery = Interaction.Delivery
MAX_ATTEMPTS = 8


class SendError(Exception):
    pass


class TransientSendError(SendError):
    """The channel did not take the message now (timeout, 5xx, rate limit): retry later."""


class PermanentSendError(SendError):
    """The channel will never take this message (invalid recipient, 4xx): do not retry."""


def sender_for(channel: str):
    path = settings.CXDESK_OUTBOUND_SENDERS.get(channel)
    return import_string(path) if path else None


def has_sender(channel: str) -> bool:
    return bool(settings.CXDESK_OUTBOUND_SENDERS.get(channel))


def claim_lease() -> timedelta:
    """How long a send claim holds before the sweep takes it back (see the module docstring)."""
    return timedelta(seconds=settings.CXDESK_OUTBOUND_CLAIM_LEASE_SECONDS)


SENDS = Outbox(
    model=Interaction,
    ready=Delivery.PENDING,
    claimed=Delivery.SENDING,
    done=Delivery.SENT,
    failed=Delivery.FAILED,
    max_attempts=MAX_ATTEMPTS,
    lease=claim_lease,
    status_field="delivery_status",
    attempts_field="delivery_attempts",
    error_field="delivery_error",
    null_is_due=True,  # a reply not tried yet has no next attempt time
    backoff=Backoff(base=timedelta(seconds=30), cap=timedelta(hours=2), jitter=0.1),
    lost_error="the worker sending this message stopped before it finished; claim released",
    gave_up_error="the worker sending this message stopped before it finished, "
    f"{MAX_ATTEMPTS} times",
)


def interaction_send(*, interaction_id: int, now: datetime | None = None) -> datetime | None:
    """One attempt to send a pending outbound interaction.

    Returns when to try again after a transient failure, else None (sent, failed for good,
    or not ours to send: already sent, claimed by another worker, or not due yet).
    """
    now = now or timezone.now()
    claim = SENDS.claim(
        interaction_id,
        now=now,
        queryset=Interaction.objects.select_related("case", "case__requester", "author_agent"),
    )
    if claim is None:
        return None
    interaction = claim.row
    send = sender_for(interaction.channel)
    try:
        if send is None:
            raise PermanentSendError(
                f"no sender is configured for the {interaction.channel} channel"
            )
        external_id = send(interaction)
    except PermanentSendError as exc:
        SENDS.fail(claim, str(exc))
        return None
    except Exception as exc:  # noqa: BLE001 — TransientSendError and anything unexpected
        return SENDS.retry(claim, f"{type(exc).__name__}: {exc}", now=now)
    fields: dict[str, object] = {"sent_at": timezone.now()}
    if external_id and not interaction.external_id:
        fields["external_id"] = str(external_id)[:998]
    SENDS.succeed(claim, **fields)
    return None


def sends_due(*, limit: int = 500, now: datetime | None = None) -> list[int]:
    """Pending sends whose time has come, after releasing the claims of dead workers (each
    counts as an attempt, failed at MAX_ATTEMPTS: a message that kills its worker cannot
    loop forever)."""
    SENDS.release_stale(now=now)
    return SENDS.due(limit=limit, now=now)


def interaction_retry_now(*, interaction_id: int) -> None:
    """An agent's "send again" on a failed message: one more try now."""
    SENDS.retry_now([interaction_id], delivery_error="")
