"""Webhook tasks: fast paths over WebhookDelivery rows. Losing one costs a delay, never a send.

`deliver` is idempotent (the service claims the row), and `retry_due_deliveries` (beat, every
CXDESK_WEBHOOK_SWEEP_SECONDS) sends whatever is due that no task took care of.
"""

from celery import shared_task

from apps.core.outbox import enqueue_retry

from . import services

SWEEP_BATCH = 500


@shared_task(acks_late=True)
def deliver(delivery_id: int) -> None:
    """Try one delivery; when it failed and will be retried soon, schedule that try."""
    retry_at = services.delivery_attempt(delivery_id=delivery_id)
    enqueue_retry(deliver.name, delivery_id, retry_at)


@shared_task(acks_late=True)
def retry_due_deliveries() -> int:
    """Periodic sweep: release lost claims, queue one batch of due deliveries. Idempotent."""
    return services.deliveries_sweep(limit=SWEEP_BATCH)
