"""Enqueueing Celery tasks from a write: after commit, and never failing the write.

The database is the source of truth: a periodic sweep finds rows a lost or unsent task left
behind. So when the broker is down, the enqueue is logged and dropped, and the write stands.
"""

import logging

from django.db import transaction

logger = logging.getLogger(__name__)


def enqueue(task, *args, countdown: float | None = None) -> bool:
    """Send `task` now; False (logged) when the broker refuses."""
    try:
        if countdown:
            task.apply_async(args=args, countdown=countdown)
        else:
            task.delay(*args)
    except Exception:  # noqa: BLE001 — kombu/redis/amqp errors vary by transport
        logger.warning(
            "could not enqueue %s%r; the sweep will pick it up", task.name, args, exc_info=True
        )
        return False
    return True


def enqueue_on_commit(task, *args) -> None:
    """Send `task` once the current transaction commits (at once outside a transaction)."""
    transaction.on_commit(lambda: enqueue(task, *args))
