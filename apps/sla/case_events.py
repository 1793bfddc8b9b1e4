"""The SLA engine's subscription to the "case changed" seam (apps/cases/events.py).

In the transaction, the ids of the cases it changed are gathered; once it commits, each is
enqueued for a recompute ONCE, however many writes the transaction announced (a demo load,
a merge, a bulk sweep write many per case). A rollback drops them with the transaction's
other on-commit callbacks. A lost enqueue costs a delay only: the case's updated_at is later
than its sla_computed_at, and the sweep recomputes it.

The cases a transaction opened (or gave another requester) are enqueued to a task that also
recomputes their requesters' cases solved within the FCR window before them, since a new
case is a repeat contact of those (services.repeat_contact_case_ids): the worker looks them
up, not the request. A lost one of those is repaired by the FCR finalisation, which
recomputes.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from django.db import transaction

from apps.cases.events import CaseChange

from . import services


@dataclass
class _Pending:
    changed: set[int] = field(default_factory=set)
    opened: set[int] = field(default_factory=set)


def cases_changed(changes: Sequence[CaseChange]) -> None:
    connection = transaction.get_connection()
    pending: _Pending | None = getattr(connection, "_sla_pending", None)
    # Django replaces its list of on-commit callbacks at every commit and rollback (and
    # savepoint rollback): while it is the list our flush went into, the flush is still due.
    if (
        pending is None
        or getattr(connection, "_sla_pending_in", None) is not connection.run_on_commit
    ):
        pending = _Pending()
        connection._sla_pending = pending
        transaction.on_commit(partial(_flush, connection, pending), robust=True)
        connection._sla_pending_in = connection.run_on_commit
    pending.changed.update(change.case_id for change in changes)
    pending.opened.update(services.opened_case_ids(changes))


def _flush(connection: Any, pending: _Pending) -> None:
    if getattr(connection, "_sla_pending", None) is pending:
        connection._sla_pending = None  # the next change gathers anew
    services.cases_changed(pending.changed - pending.opened)
    services.cases_opened(pending.opened)
