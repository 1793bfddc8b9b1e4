"""Enqueueing Celery tasks from a write: after commit, and never failing the write.

The database is the source of truth: a periodic sweep finds rows a lost or unsent task left
behind. So when the broker is down, the enqueue is logged and dropped, and the write stands.

Services name the task ("apps.cases.tasks.send_interaction") instead of importing it: imports
run one way, tasks → services → models, so a tasks module may import its services freely.
The name is resolved through the Celery app's registry, so eager mode (tests, the newcomer's
defaults) runs the task in-process just as `.delay()` would.
"""

import logging
from collections.abc import Iterable
from importlib import import_module
from typing import Any

from celery import Task, current_app
from django.db import transaction

logger = logging.getLogger(__name__)


def task_named(name: str) -> Task[Any, Any]:
    """The registered task called `name`; KeyError (at the caller's bug) when there is none.

    A web process imports no tasks.py (autodiscovery runs when a worker starts), so a task
    not registered yet is registered by importing its module, named by the task's name.
    """
    try:
        return current_app.tasks[name]
    except KeyError:
        import_module(name.rpartition(".")[0])
        return current_app.tasks[name]


def enqueue(task_name: str, *args: object, countdown: float | None = None) -> bool:
    """Send the task `task_name` now; False (logged) when the broker refuses."""
    task = task_named(task_name)
    try:
        if countdown:
            task.apply_async(args=args, countdown=countdown)
        else:
            task.delay(*args)
    except Exception:  # noqa: BLE001 — kombu/redis/amqp errors vary by transport
        logger.warning(
            "could not enqueue %s%r; the sweep will pick it up", task_name, args, exc_info=True
        )
        return False
    return True


def enqueue_each(task_name: str, ids: Iterable[int]) -> int:
    """Send the task once per id, in order; returns how many were sent.

    The first refusal stops the loop: the next ids would only wait for the same broker again
    (with the publisher's own retries) on the caller's time. The rows are the truth, so the
    sweep sends the rest when the broker is back.
    """
    sent = 0
    for pk in ids:
        if not enqueue(task_name, pk):
            break
        sent += 1
    return sent


def enqueue_on_commit(task_name: str, *args: object) -> None:
    """Send `task_name` once the current transaction commits (at once outside a transaction)."""
    transaction.on_commit(lambda: enqueue(task_name, *args))
