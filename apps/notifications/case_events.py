"""Notifications' subscriber to the case-changed seam (apps/cases/events.py).

From each announcement it writes what an agent should hear about their own work:

- ``assigned`` — a case given to you by someone else (an agent, a supervisor, the system: a
  channel's routing) — a write that changed the assignee, or opened the case assigned to you.
  Not when you took it yourself. Its source is that write's CaseEvent (assignee, created).
- ``customer_replied`` — a customer's public message on a case assigned to you (not the one
  that opened the case: being assigned it says so). One unread per case at a time: a chat of
  twenty messages is one notice; once it is read, the next message makes a new one. Its
  source is the interaction.
- ``mentioned`` — ``@username`` in an internal note, to each active user of that name
  (letters as typed or not) who may see the case; the author, unknown names and users who
  cannot see the case are ignored, and an ``@`` inside a word (``ann@example.com``) is no
  mention. Its source is the note.

SLA warnings and breaches are not case changes (the sweep stamps clocks): apps/sla/services.py
notifies the case's assignee beside its team supervisors.

Registered in the transaction (apps.py), as webhooks are: the notifications commit or roll
back with the change, and a crash between the commit and an on-commit callback cannot lose
them. Idempotent: every notice carries its source, so the same announcement delivered again
writes nothing (services.notify_many). A change that concerns none of these (most) costs no
query; one that does costs a bounded number: the CaseEvent ids (1), the recipients (1), the
unread replies (1), the write (≤ 3), and for a note one EXISTS per mentioned name, at most
MAX_MENTIONS — the visibility rule itself (`Case.objects.visible_to`), not a copy of it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Max
from django.db.models.functions import Lower

from apps.accounts.types import User
from apps.cases.events import CaseChange, cases_of
from apps.cases.models import Case, CaseEvent, Interaction

from .models import Notification
from .services import Notice, notify_many

Kind = Notification.Kind
MAX_MENTIONS = 10  # names looked up per note; the rest of a longer list is ignored
EXCERPT = 140
# "@" starting a name: not after a letter, digit or a username's punctuation (an address),
# and the name ends on a letter or digit ("@alex.agent." names alex.agent).
MENTION = re.compile(r"(?<![\w.@+-])@([\w.+-]*\w)")


def mentioned_usernames(text: str) -> list[str]:
    """The distinct `@username`s in `text`, lower-cased, in order, at most MAX_MENTIONS."""
    names: list[str] = []
    for match in MENTION.finditer(text or ""):
        name = match.group(1).lower()
        if name not in names:
            names.append(name)
    return names[:MAX_MENTIONS]


def case_changes_notify(changes: Sequence[CaseChange]) -> None:
    assigned = [(c, to) for c in changes if (to := _assigned_to(c))]
    replied = [c for c in changes if _customer_message(c)]
    noted = [(c, names) for c in changes if (names := _mentions(c))]
    if not (assigned or replied or noted):
        return
    cases = cases_of([*(c for c, _ in assigned), *replied, *(c for c, _ in noted)])
    assignees = {cases[c.case_id].assignee_id for c in replied}
    users = _active_users({to for _, to in assigned} | {a for a in assignees if a is not None})
    notices = [
        *_assigned_notices(assigned, cases, users),
        *_replied_notices(replied, cases, users),
        *_mention_notices(noted, cases),
    ]
    notify_many(notices)


# --- which changes concern someone --------------------------------------------------------


def _actor_id(change: CaseChange) -> int | None:
    return change.actor.pk if change.actor is not None else None


def _assigned_to(change: CaseChange) -> int | None:
    """The user this change gave the case to, unless they did it themself."""
    if change.created:
        to = change.case.assignee_id if change.case is not None else None
    elif "assignee" in change.fields:
        to = change.after.get("assignee")
        to = to.get("id") if isinstance(to, dict) else to
    else:
        return None
    return to if isinstance(to, int) and to != _actor_id(change) else None


def _customer_message(change: CaseChange) -> bool:
    item = change.interaction
    return (
        item is not None
        and not change.created
        and item.is_public
        and item.direction == Interaction.Direction.INBOUND
        and item.author_agent_id is None
    )


def _mentions(change: CaseChange) -> list[str]:
    item = change.interaction
    if item is None or item.is_public or item.author_agent_id is None:
        return []
    author = change.actor.get_username().lower() if change.actor is not None else None
    return [name for name in mentioned_usernames(item.body_text) if name != author]


# --- the notices ------------------------------------------------------------------------


def _active_users(ids: set[int]) -> dict[int, User]:
    if not ids:
        return {}
    return {u.pk: u for u in get_user_model().objects.filter(pk__in=ids, is_active=True)}


def _name(user: User | None) -> str:
    return (user.get_full_name() or user.get_username()) if user is not None else ""


def _excerpt(text: str) -> str:
    flat = " ".join((text or "").split())
    return flat if len(flat) <= EXCERPT else flat[: EXCERPT - 1] + "…"


def _assigned_notices(
    assigned: list[tuple[CaseChange, int]], cases: dict[int, Case], users: dict[int, User]
) -> list[Notice]:
    if not assigned:
        return []
    rows = (
        CaseEvent.objects.filter(
            case_id__in={c.case_id for c, _ in assigned},
            kind__in=[CaseEvent.Kind.CREATED, CaseEvent.Kind.ASSIGNEE],
        )
        .values("case_id", "kind")
        .annotate(last=Max("pk"))
        .values_list("case_id", "kind", "last")
    )
    last_event = {(case_id, kind): pk for case_id, kind, pk in rows}
    notices = []
    for change, to in assigned:
        user, case = users.get(to), cases[change.case_id]
        if user is None:
            continue
        kind = CaseEvent.Kind.CREATED if change.created else CaseEvent.Kind.ASSIGNEE
        event = last_event.get((change.case_id, kind))
        by = f" by {_name(change.actor)}" if change.actor is not None else ""
        notices.append(
            Notice(
                user,
                Kind.ASSIGNED,
                case,
                f"{case.reference} assigned to you{by}: {case.subject}",
                f"event:{event}" if event else "",
            )
        )
    return notices


def _replied_notices(
    replied: list[CaseChange], cases: dict[int, Case], users: dict[int, User]
) -> list[Notice]:
    if not replied:
        return []
    waiting = set(
        Notification.objects.filter(
            kind=Kind.CUSTOMER_REPLIED,
            read_at__isnull=True,
            recipient_id__in=set(users),
            case_id__in={c.case_id for c in replied},
        ).values_list("recipient_id", "case_id")
    )
    notices = []
    for change in replied:
        case = cases[change.case_id]
        user = users.get(case.assignee_id) if case.assignee_id else None
        if user is None or (user.pk, case.pk) in waiting:
            continue
        waiting.add((user.pk, case.pk))
        item: Any = change.interaction
        who = change.actor_contact or item.author_contact or "The customer"
        notices.append(
            Notice(
                user,
                Kind.CUSTOMER_REPLIED,
                case,
                f"{case.reference}: {who} replied — {_excerpt(item.body_text)}",
                f"interaction:{item.pk}",
            )
        )
    return notices


def _mention_notices(
    noted: list[tuple[CaseChange, list[str]]], cases: dict[int, Case]
) -> list[Notice]:
    if not noted:
        return []
    names = {name for _, found in noted for name in found}
    by_name: dict[str, list[User]] = {}
    named = (
        get_user_model()
        .objects.annotate(handle=Lower("username"))
        .filter(handle__in=names, is_active=True)
        .select_related("profile")
    )
    for named_user in named:
        by_name.setdefault(named_user.handle, []).append(named_user)
    notices = []
    for change, found in noted:
        case, note = cases[change.case_id], change.interaction
        assert note is not None  # _mentions found names in it
        for user in (u for name in found for u in by_name.get(name, [])):
            if user.pk == note.author_agent_id:
                continue
            if not Case.objects.visible_to(user).filter(pk=case.pk).exists():
                continue  # who cannot see the case is not told about it
            notices.append(
                Notice(
                    user,
                    Kind.MENTIONED,
                    case,
                    f"{case.reference}: {_name(change.actor)} mentioned you in a note — "
                    f"{_excerpt(note.body_text)}",
                    f"interaction:{note.pk}",
                )
            )
    return notices
