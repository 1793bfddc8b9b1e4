"""The one "case changed" seam: every case write says here what it changed.

Writers — every service of apps/cases/services.py, `contacts.services.contact_merge`, the mail
and phone paths that write on a case, the sweeps — end by calling `announce(...)` (one case)
or `announce_many(...)` (a batch), inside the transaction of the change, once it is written.
A `CaseChange` says which case, what changed (names, and before/after where the writer knew
them), the interaction added (if any) and who did it.

Subscribing is one line in the subscriber's AppConfig.ready()::

    from apps.cases import events
    events.subscribe(sla_services.cases_changed)  # SLA recompute, root causes, rollups …

A subscriber is a function of one argument, the sequence of CaseChange of one announcement
(one change, or a whole batch). It is called

- **after commit** (the default): through `transaction.on_commit(robust=True)`, never for a
  change that rolled back, and its errors are logged, not raised (the change stands). The
  place to enqueue tasks by name (apps/core/queue.py): SLA recompute, root-cause suggestions,
  rollups.
- **in the transaction** (`in_transaction=True`): at once, inside the writer's transaction,
  for a subscriber that writes rows of its own which must commit or roll back with the change
  — an outbox. Webhooks are one (apps/webhooks/case_events.py): their deliveries are the
  durable record of what to send, and a crash between the commit and an on-commit callback
  must not lose them. Such a subscriber costs the writer's time: a constant number of
  queries per call, whatever the batch size; raising rolls the write back.

Batches stay cheap: a sweep announces its whole batch in one `announce_many` call, each
subscriber gets it in one call, and a change may carry only the case id (`case=None`):
`cases_of(changes)` reads the missing rows in one query, and only a subscriber that needs
them asks.

What the names in `fields` mean: Case fields (``status``, ``assignee``, ``requester`` …, not
``updated_at``), plus ``tags``, ``interactions`` (the case's set of interactions changed:
a merge moved some in) and ``problems`` (listed under a problem or taken off one:
apps/problems/services.py; before/after carry ``{"problems": [{"id", "title"}]}``).
A link to another case that changes nothing on this one is in `related`, not in `fields`
(``follow_up``, ``merged_from``, ``refers_to``, ``referred_by``: the other case's id).
tests/cases/test_case_changed_seam.py checks every writer against this contract: each
CaseEvent, new interaction and changed case column is announced.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any

from django.db import transaction

if TYPE_CHECKING:
    from datetime import datetime

    from apps.accounts.types import User
    from apps.contacts.models import Contact

    from .models import Case, Interaction

logger = logging.getLogger(__name__)

Subscriber = Callable[[Sequence["CaseChange"]], None]


@dataclass(frozen=True)
class CaseChange:
    """What one write changed on one case."""

    case_id: int
    # The instance as the writer saved it (subscribers build payloads from it), or None when
    # the writer changed rows in bulk without loading them: see cases_of().
    case: Case | None = None
    fields: tuple[str, ...] = ()  # what changed, sorted (see the module docstring)
    before: Mapping[str, Any] = field(default_factory=dict)  # where the writer knew them
    after: Mapping[str, Any] = field(default_factory=dict)
    created: bool = False  # this write opened the case
    interaction: Interaction | None = None  # the interaction this write added
    interaction_updated: Interaction | None = None  # an existing one whose content it changed
    related: Mapping[str, int] = field(default_factory=dict)  # links to other cases, by id
    actor: User | None = None  # the user who did it (None: the customer or the system)
    actor_contact: Contact | None = None  # the customer who did it


_after_commit: list[Subscriber] = []
_in_transaction: list[Subscriber] = []


def subscribe(subscriber: Subscriber, *, in_transaction: bool = False) -> Subscriber:
    """Call `subscriber` with every announcement from now on (once, however often asked)."""
    registry = _in_transaction if in_transaction else _after_commit
    if subscriber not in registry:
        registry.append(subscriber)
    return subscriber


def unsubscribe(subscriber: Subscriber) -> None:
    for registry in (_in_transaction, _after_commit):
        if subscriber in registry:
            registry.remove(subscriber)


def announce(
    case: Case | int,
    *,
    fields: Iterable[str] = (),
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    created: bool = False,
    interaction: Interaction | None = None,
    interaction_updated: Interaction | None = None,
    related: Mapping[str, int] | None = None,
    actor: User | None = None,
    actor_contact: Contact | None = None,
) -> None:
    """Announce one change of `case` (the saved instance, or its id): `announce_many` for one."""
    announce_many(
        [
            change(
                case,
                fields=fields,
                before=before,
                after=after,
                created=created,
                interaction=interaction,
                interaction_updated=interaction_updated,
                related=related,
                actor=actor,
                actor_contact=actor_contact,
            )
        ]
    )


def change(
    case: Case | int,
    *,
    fields: Iterable[str] = (),
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    created: bool = False,
    interaction: Interaction | None = None,
    interaction_updated: Interaction | None = None,
    related: Mapping[str, int] | None = None,
    actor: User | None = None,
    actor_contact: Contact | None = None,
) -> CaseChange:
    """A CaseChange of `case` (an instance, or only its id for a bulk write)."""
    instance = None if isinstance(case, int) else case
    return CaseChange(
        case_id=case if isinstance(case, int) else case.pk,
        case=instance,
        fields=tuple(sorted(set(fields) - {"updated_at"})),
        before=dict(before or {}),
        after=dict(after or {}),
        created=created,
        interaction=interaction,
        interaction_updated=interaction_updated,
        related=dict(related or {}),
        actor=actor,
        actor_contact=actor_contact,
    )


def announce_many(changes: Iterable[CaseChange]) -> None:
    """Announce a batch: in-transaction subscribers now, the others once it commits.

    Must be called inside the transaction of the change (a write outside one would have
    nothing to roll back with, and nothing to wait for).
    """
    changes = tuple(changes)
    if not changes:
        return
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("announce case changes inside the transaction that made them")
    for subscriber in tuple(_in_transaction):
        subscriber(changes)
    if _after_commit:
        transaction.on_commit(partial(_deliver, changes), robust=True)


def _deliver(changes: Sequence[CaseChange]) -> None:
    for subscriber in tuple(_after_commit):
        try:
            subscriber(changes)
        except Exception:  # one subscriber's failure neither stops the others nor the write
            logger.exception("case-changed subscriber %r failed", subscriber)


def cases_of(changes: Iterable[CaseChange]) -> dict[int, Case]:
    """The case of each change, by id: the instances carried, the others read (≤ 1 query)."""
    from .models import Case

    changes = list(changes)
    cases = {c.case_id: c.case for c in changes if c.case is not None}
    missing = {c.case_id for c in changes} - set(cases)
    if missing:
        cases.update(Case.objects.in_bulk(sorted(missing)))
    return cases


def openings_of(changes: Sequence[CaseChange], fields: frozenset[str]) -> list[datetime]:
    """For a daily rollup's subscriber: the opening instants (`Case.created_at`) of the cases
    these changes created or whose `fields` they changed, with the instant before when the
    opening itself moved — the days whose figures may have moved (≤ 1 query: the openings
    of changes that carry no case)."""
    from .models import Case  # the seam is imported by the models' apps before they load

    moved = [c for c in changes if c.created or fields.intersection(c.fields)]
    instants = [c.case.created_at for c in moved if c.case is not None]
    missing = [c.case_id for c in moved if c.case is None]
    if missing:
        instants += Case.objects.filter(pk__in=missing).values_list("created_at", flat=True)
    instants += [c.before["created_at"] for c in moved if "created_at" in c.before]
    return instants
