"""Webhook tasks: fast paths over WebhookDelivery rows. Losing one costs a delay, never a send.

`deliver` is idempotent (the service claims the row), and `retry_due_deliveries` (beat, every
CXDESK_WEBHOOK_SWEEP_SECONDS) sends whatever is due that no task took care of.
"""

import logging

from celery import shared_task
from django.utils import timezone

from . import services

logger = logging.getLogger(__name__)

SWEEP_BATCH = 500
# Longer waits are left to the sweep: a message held for hours by a worker (ETA) would be
# redelivered by Redis after its visibility timeout (1 h) anyway.
MAX_COUNTDOWN_SECONDS = 15 * 60


@shared_task(acks_late=True)
def deliver(delivery_id: int) -> None:
    """Try one delivery; when it failed and will be retried soon, schedule that try."""
    retry_at = services.delivery_attempt(delivery_id=delivery_id)
    if retry_at is not None:
        _schedule(delivery_id, countdown=(retry_at - timezone.now()).total_seconds())


def _schedule(delivery_id: int, *, countdown: float) -> None:
    if countdown > MAX_COUNTDOWN_SECONDS:
        return  # the sweep sends it when it is due
    try:
        deliver.apply_async((delivery_id,), countdown=max(countdown, 0))
    except Exception:  # a broker error: the sweep sends it when it is due
        logger.exception("could not schedule the retry of webhook delivery %s", delivery_id)


@shared_task(acks_late=True)
def retry_due_deliveries() -> int:
    """Periodic sweep: release lost claims, queue one batch of due deliveries. Idempotent."""
    services.deliveries_release_stale()
    return services.deliveries_enqueue(delivery_ids=services.deliveries_due(limit=SWEEP_BATCH))
