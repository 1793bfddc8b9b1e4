"""Sending agents' public replies on the case's channel, through one sender per channel.

A reply on a channel that has a sender (settings.CXDESK_OUTBOUND_SENDERS, channel → dotted
path of `send(interaction) -> str | None`) is stored with delivery_status "pending" and sent
by the `send_interaction` task after commit. The task claims the row (pending → sending) with
a conditional UPDATE, so a redelivered task sends nothing twice; the sender returns the
channel's id for the message (stored as external_id) or raises:

- TransientSendError: the channel may accept it later → retried with exponential backoff,
  failed after MAX_ATTEMPTS;
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
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone
from django.utils.module_loading import import_string

from .models import Interaction

Delivery = Interaction.Delivery
MAX_ATTEMPTS = 8
BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_CAP = timedelta(hours=2)


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


def retry_delay(attempts: int) -> timedelta:
    return min(BACKOFF_BASE * (2 ** max(attempts - 1, 0)), BACKOFF_CAP)


def interaction_send(*, interaction_id: int, now: datetime | None = None) -> datetime | None:
    """One attempt to send a pending outbound interaction.

    Returns when to try again after a transient failure, else None (sent, failed for good,
    or not ours to send: already sent, claimed by another worker, or not due yet).
    """
    now = now or timezone.now()
    claimed = Interaction.objects.filter(
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now),
        pk=interaction_id,
        delivery_status=Delivery.PENDING,
    ).update(delivery_status=Delivery.SENDING, claimed_at=now)
    if not claimed:
        return None
    # Results are written only while the claim is still ours: if the sweep released it (we
    # were too slow) and another worker claimed it, its result stands, not ours.
    ours = Interaction.objects.filter(
        pk=interaction_id, delivery_status=Delivery.SENDING, claimed_at=now
    )
    interaction = Interaction.objects.select_related("case", "case__requester", "author_agent").get(
        pk=interaction_id
    )
    attempts = interaction.delivery_attempts + 1
    send = sender_for(interaction.channel)
    try:
        if send is None:
            raise PermanentSendError(
                f"no sender is configured for the {interaction.channel} channel"
            )
        external_id = send(interaction)
    except PermanentSendError as exc:
        ours.update(
            delivery_status=Delivery.FAILED,
            delivery_attempts=attempts,
            delivery_error=str(exc)[:2000],
            next_attempt_at=None,
            claimed_at=None,
        )
        return None
    except Exception as exc:  # noqa: BLE001 — TransientSendError and anything unexpected
        final = attempts >= MAX_ATTEMPTS
        retry_at = None if final else now + retry_delay(attempts)
        ours.update(
            delivery_status=Delivery.FAILED if final else Delivery.PENDING,
            delivery_attempts=attempts,
            next_attempt_at=retry_at,
            claimed_at=None,
            delivery_error=f"{type(exc).__name__}: {exc}"[:2000],
        )
        return retry_at
    fields = {
        "delivery_status": Delivery.SENT,
        "delivery_attempts": attempts,
        "delivery_error": "",
        "sent_at": timezone.now(),
        "next_attempt_at": None,
        "claimed_at": None,
    }
    if external_id and not interaction.external_id:
        fields["external_id"] = str(external_id)[:998]
    ours.update(**fields)
    return None


def sends_due(*, limit: int = 500, now: datetime | None = None) -> list[int]:
    """Pending sends whose time has come. Claims abandoned by a dead worker count as an
    attempt: released for another try, or failed at MAX_ATTEMPTS, so a message that kills
    its worker cannot loop forever."""
    now = now or timezone.now()
    stale = Interaction.objects.filter(
        delivery_status=Delivery.SENDING, claimed_at__lt=now - claim_lease()
    )
    stale.filter(delivery_attempts__gte=MAX_ATTEMPTS - 1).update(
        delivery_status=Delivery.FAILED,
        claimed_at=None,
        next_attempt_at=None,
        delivery_attempts=F("delivery_attempts") + 1,
        delivery_error="the worker sending this message stopped before it finished, "
        f"{MAX_ATTEMPTS} times",
    )
    stale.update(
        delivery_status=Delivery.PENDING,
        claimed_at=None,
        delivery_attempts=F("delivery_attempts") + 1,
    )
    return list(
        Interaction.objects.filter(
            Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now),
            delivery_status=Delivery.PENDING,
        )
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )


def interaction_retry_now(*, interaction_id: int) -> None:
    """An agent's "send again" on a failed message: one more try now."""
    Interaction.objects.filter(pk=interaction_id, delivery_status=Delivery.FAILED).update(
        delivery_status=Delivery.PENDING, next_attempt_at=None, delivery_error=""
    )
