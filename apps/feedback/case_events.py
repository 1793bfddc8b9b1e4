"""Feedback's subscription to the "case changed" seam (apps/cases/events.py).

In the transaction of the change: a case solved gets its satisfaction survey scheduled in the
same commit (an outbox row — a crash after the commit cannot lose it; the beat sweep sends
it when due). A survey due at once (a chat) is also enqueued after commit, so the customer
is asked while the chat window is still open.
"""

from collections.abc import Sequence
from functools import partial

from django.db import transaction

from apps.cases.events import CaseChange, cases_of
from apps.core.queue import enqueue_each

from . import services


def cases_changed(changes: Sequence[CaseChange]) -> None:
    due_now = services.surveys_schedule(changes)
    if due_now:
        transaction.on_commit(partial(enqueue_each, services.SEND_TASK, due_now))


def risk_cases_changed(changes: Sequence[CaseChange]) -> None:
    """After commit: a case's status moved (reopened, solved, opened) — its requester's
    at-risk score is recomputed by a task (the hourly beat catches what is lost)."""
    moved = [c for c in changes if "status" in c.fields or "requester" in c.fields]
    if not moved:
        return
    requesters = sorted({case.requester_id for case in cases_of(moved).values()})
    enqueue_each(services.RISK_TASK, requesters)
