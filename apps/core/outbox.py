"""One outbox engine: rows that a worker claims, works on, and finishes.

Webhook deliveries (apps/webhooks/services.py `DELIVERIES`), agents' outbound messages
(apps/cases/outbound.py `SENDS`) and social events (apps/social/services.py `EVENTS`) are
each an `Outbox` over their own model and field names. The app says how to send or process
one row and what its statuses are called; everything below is the same for all of them.

The contract (tests/core/test_outbox_contract.py runs it against every outbox):

- **claim**: one conditional UPDATE moves a due row from *ready* to *claimed* and stamps
  `claimed_at` with the claimer's `now`, which is the claim's token. Two workers: one wins,
  the other gets None and does nothing.
- **still ours**: every result is written by an UPDATE that also matches the status
  *claimed* and the token. A worker that outlived its lease, whose claim was released and
  taken by another worker, writes nothing: the newer claim's result stands.
- **finish**: success (*done*), permanent failure (*failed*, with its error), or transient
  failure (`retry`): back to *ready*, due after the backoff — or *failed* once the attempt
  cap is reached. Every finish counts the attempt and clears the claim.
- **release of stale claims**: a claim older than the lease (the worker died) goes back to
  *ready*, due now, and COUNTS AS AN ATTEMPT; the one that reaches the cap is *failed*
  instead, with an error that says so. So a row that kills its worker cannot loop for ever.
- **due list**: ids of *ready* rows whose time has come, oldest first, at most `limit`, in
  one indexed query.
- **backoff**: `base × 2^(attempts-1)`, at most `cap`, plus up to `jitter` (a fraction) so
  rows that failed together do not retry together.
- **retry now** (an admin's or agent's "try again"): failed (or ready) rows become ready and
  due now; their attempts are kept, so a new failure fails them again.

`attempts` counts finished attempts (an attempt under way is counted when it ends, or when
its claim is released), so a row with `attempts >= max_attempts` is never tried by a sweep.
"""

import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from apps.core.queue import enqueue


@dataclass(frozen=True)
class Backoff:
    """Exponential backoff with jitter: base × 2^(attempts-1), capped, then + ≤ jitter."""

    base: timedelta
    cap: timedelta
    jitter: float = 0.1

    def delay(self, attempts: int, *, jitter: bool = True) -> timedelta:
        """The wait before the next try after `attempts` failed ones."""
        delay: timedelta = min(self.base * 2 ** min(max(attempts - 1, 0), 20), self.cap)
        if jitter and self.jitter:
            delay *= 1 + random.uniform(0, self.jitter)  # spreading retries, not secrecy
        return delay


@dataclass(frozen=True)
class Claim:
    """A row this worker holds: write its result through the outbox, which checks the token."""

    pk: int
    token: datetime  # the claimed_at this claim wrote
    row: Any  # the row as read right after the claim
    attempt: int  # the number of this attempt (finished attempts before it + 1)


@dataclass(frozen=True)
class Outbox:
    """The engine, parametrised by a model, its status values and its field names."""

    model: type[models.Model]
    ready: str  # waiting to be tried (pending, received)
    claimed: str  # a worker has it (sending, processing)
    done: str  # finished well (delivered, sent, processed)
    failed: str  # given up, visibly, with its error
    max_attempts: int
    lease: timedelta | Callable[[], timedelta]  # how long a claim holds before the sweep
    status_field: str = "status"
    attempts_field: str = "attempts"
    error_field: str = "error"
    claimed_at_field: str = "claimed_at"
    # When a ready row may be tried next (checked by the claim, written by `retry`); None for
    # a model whose failures are all final (then the due list orders by `due_field`).
    next_attempt_field: str | None = "next_attempt_at"
    null_is_due: bool = False  # a ready row without a next attempt time is due now
    due_field: str | None = None  # the due list's time field (default: next_attempt_field)
    due_grace: timedelta = timedelta(0)  # due only once `due_field` is this old
    claim_from: tuple[str, ...] = ()  # statuses a claim takes (default: ready only)
    backoff: Backoff | None = None
    error_chars: int = 2000
    lost_error: str = "the worker handling this stopped before it finished; claim released"
    gave_up_error: str = (
        "the worker handling this stopped before it finished, too many times; given up"
    )

    # --- the pieces ---------------------------------------------------------------------

    def lease_now(self) -> timedelta:
        return self.lease() if callable(self.lease) else self.lease

    def _due_q(
        self, now: datetime, field_name: str | None = None, grace: timedelta = timedelta(0)
    ) -> Q:
        name = field_name or self.next_attempt_field
        if name is None:
            return Q()
        due = Q(**{f"{name}__lte": now - grace})
        if self.null_is_due and name == self.next_attempt_field:
            due |= Q(**{f"{name}__isnull": True})
        return due

    def ours(self, claim: Claim) -> models.QuerySet[models.Model]:
        """The row, only while `claim` still holds it."""
        return self.model._default_manager.filter(
            pk=claim.pk,
            **{self.status_field: self.claimed, self.claimed_at_field: claim.token},
        )

    # --- claim --------------------------------------------------------------------------

    def claim(
        self,
        pk: int,
        *,
        now: datetime | None = None,
        queryset: models.QuerySet[models.Model] | None = None,
    ) -> Claim | None:
        """Take the row if it is ready (or in `claim_from`) and due: one conditional UPDATE.

        None when it is not ours to work on (done, failed, not due, or another worker has
        it). Otherwise the Claim, with the row read through `queryset` (for select_related).
        """
        now = now or timezone.now()
        statuses = self.claim_from or (self.ready,)
        taken = self.model._default_manager.filter(
            self._due_q(now), pk=pk, **{f"{self.status_field}__in": statuses}
        ).update(**{self.status_field: self.claimed, self.claimed_at_field: now})
        if not taken:
            return None
        row = (queryset if queryset is not None else self.model._default_manager).get(pk=pk)
        return Claim(pk=pk, token=now, row=row, attempt=getattr(row, self.attempts_field) + 1)

    # --- finish -------------------------------------------------------------------------

    def finish(self, claim: Claim, status: str, *, error: str = "", **fields: Any) -> bool:
        """Record the outcome of this attempt if the claim is still ours; True if written."""
        values = {
            self.status_field: status,
            self.attempts_field: claim.attempt,
            self.error_field: error[: self.error_chars],
            self.claimed_at_field: None,
        }
        if self.next_attempt_field:
            values[self.next_attempt_field] = None
        return self.ours(claim).update(**{**values, **fields}) == 1

    def succeed(self, claim: Claim, **fields: Any) -> bool:
        return self.finish(claim, self.done, **fields)

    def fail(self, claim: Claim, error: str, **fields: Any) -> bool:
        """A permanent failure: failed at once, whatever the attempts."""
        return self.finish(claim, self.failed, error=error, **fields)

    def retry(self, claim: Claim, error: str, *, now: datetime, **fields: Any) -> datetime | None:
        """A transient failure: ready again after the backoff, or failed at the attempt cap.

        Returns when the next try is due, or None (failed for good, or no longer ours).
        """
        if self.gives_up_after(claim) or not self.next_attempt_field:
            self.fail(claim, error, **fields)
            return None
        assert self.backoff is not None, "an outbox that retries needs a backoff"
        retry_at = now + self.backoff.delay(claim.attempt)
        written = self.finish(
            claim, self.ready, error=error, **{self.next_attempt_field: retry_at, **fields}
        )
        return retry_at if written else None

    def gives_up_after(self, claim: Claim) -> bool:
        """Whether a transient failure of this attempt would fail the row for good."""
        return claim.attempt >= self.max_attempts or not self.next_attempt_field

    # --- the sweep ----------------------------------------------------------------------

    def release_stale(
        self, *, now: datetime | None = None, older_than: timedelta | None = None
    ) -> int:
        """Give back claims older than the lease (their worker died), counting the attempt.

        The row that reaches the cap is failed (visibly, with `gave_up_error`); the others
        are ready and due now. Two UPDATEs, whatever the number of rows; safe to run twice.
        """
        now = now or timezone.now()
        lease = self.lease_now() if older_than is None else older_than
        stale = self.model._default_manager.filter(
            **{self.status_field: self.claimed, f"{self.claimed_at_field}__lt": now - lease}
        )
        common = {self.claimed_at_field: None, self.attempts_field: F(self.attempts_field) + 1}
        failed = stale.filter(**{f"{self.attempts_field}__gte": self.max_attempts - 1}).update(
            **common,
            **{self.status_field: self.failed, self.error_field: self.gave_up_error},
            **({self.next_attempt_field: None} if self.next_attempt_field else {}),
        )
        released = stale.update(  # the rest (the UPDATE re-checks status and claim age)
            **common,
            **{self.status_field: self.ready, self.error_field: self.lost_error},
            **({self.next_attempt_field: now} if self.next_attempt_field else {}),
        )
        return failed + released

    def due_queryset(self, *, now: datetime | None = None) -> models.QuerySet[models.Model]:
        now = now or timezone.now()
        name = self.due_field or self.next_attempt_field
        assert name, "an outbox needs a next_attempt_field or a due_field"
        return self.model._default_manager.filter(
            self._due_q(now, name, self.due_grace), **{self.status_field: self.ready}
        ).order_by(name, "pk")

    def due(self, *, limit: int, now: datetime | None = None) -> list[int]:
        """Ids of ready rows whose time has come, oldest first, at most `limit` (1 query)."""
        return list(self.due_queryset(now=now).values_list("pk", flat=True)[:limit])

    # --- by hand ------------------------------------------------------------------------

    def retry_now(
        self,
        pks: Iterable[int],
        *,
        from_statuses: Iterable[str] | None = None,
        now: datetime | None = None,
        **fields: Any,
    ) -> list[int]:
        """Make failed (or `from_statuses`) rows ready and due now; the ids that were reset.

        Attempts are kept: a row failed at the cap gets one more try, and a new failure
        fails it again. Two queries.
        """
        now = now or timezone.now()
        statuses = list(from_statuses or (self.failed,))
        rows = self.model._default_manager.filter(
            pk__in=list(pks), **{f"{self.status_field}__in": statuses}
        )
        ids = list(rows.values_list("pk", flat=True))
        if ids:
            values = {self.status_field: self.ready, **fields}
            if self.next_attempt_field:
                values[self.next_attempt_field] = now
            rows.filter(pk__in=ids).update(**values)
        return ids


# Longer waits are left to the sweep: a message held for hours by a worker (ETA) would be
# redelivered by Redis after its visibility timeout (1 h) anyway.
MAX_COUNTDOWN = timedelta(minutes=15)


def enqueue_retry(
    task_name: str, pk: int, retry_at: datetime | None, *, max_countdown: timedelta = MAX_COUNTDOWN
) -> bool:
    """After a transient failure, queue the task for the next try when the wait is short.

    A long wait (or a broker that refuses, logged) is left to the sweep, which finds the row
    due. Returns whether a task was queued.
    """
    if retry_at is None:
        return False
    countdown = (retry_at - timezone.now()).total_seconds()
    if countdown > max_countdown.total_seconds():
        return False
    return enqueue(task_name, pk, countdown=max(countdown, 1))
