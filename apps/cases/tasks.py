from celery import shared_task

from apps.core.outbox import enqueue_retry
from apps.core.queue import enqueue_each

from . import outbound, services

MAX_BATCHES_PER_RUN = 50


@shared_task(acks_late=True)
def close_solved_cases() -> int:
    """Periodic sweep: close cases solved longer ago than the auto-close delay. Idempotent."""
    closed = 0
    for _ in range(MAX_BATCHES_PER_RUN):
        batch = services.cases_close_solved()
        closed += batch
        if batch == 0:
            break
    return closed


@shared_task(acks_late=True)
def send_interaction(interaction_id: int) -> None:
    """Send one outbound message; after a transient failure, schedule the next try."""
    retry_at = outbound.interaction_send(interaction_id=interaction_id)
    enqueue_retry(send_interaction.name, interaction_id, retry_at)


@shared_task(acks_late=True)
def send_due_interactions() -> int:
    """Beat sweep: send what a lost task left pending; release stale claims. Idempotent.

    Returns how many sends were queued (a broker that refuses stops the batch: next sweep)."""
    return enqueue_each(send_interaction.name, outbound.sends_due())
