"""Who else is on a case right now: collision detection for the case page.

The case page polls `POST /cases/<id>/presence/` every POLL_SECONDS (htmx, in
templates/cases/case/presence.html) and again, throttled, while the agent types in the
composer (`typing=1`). Each call records the agent on the case and answers who else is there:
an agent unheard of for PRESENCE_SECONDS has left; one whose last keystroke is older than
TYPING_SECONDS is viewing, not typing.

Storage is Django's cache (CACHES["default"]), never the database: presence is worth seconds,
is rewritten every few seconds by every agent on every open case, and losing it costs
nothing but a moment's display. One key per case holds a small dict of
``user id → {"name", "seen", "typed"}`` (POSIX seconds), so a poll is one cache read and one
write whatever the number of cases, O(agents on the case) in size; the key expires
PRESENCE_SECONDS after its last write, so an abandoned case leaves nothing behind.

Across processes it needs a shared cache: with the default `locmemcache://` each gunicorn
worker (each web machine) has its own memory and an agent sees only the colleagues whose
polls happened to reach the same process. Production sets `CACHE_URL=redis://…` (the README's
configuration table), which the throttles and sign-in limits need for the same reason.

The read-modify-write of the case's dict is not atomic: two agents polling the same case at
the same instant may overwrite each other's entry. The loser is missing from the other's
display until their next poll, ≤ POLL_SECONDS later — cheaper than a lock on every poll.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.core.cache import cache
from django.utils import timezone

if TYPE_CHECKING:
    from apps.accounts.types import User

POLL_SECONDS = 5  # how often the page asks (the template's hx-trigger says the same)
TYPING_THROTTLE_SECONDS = 4  # at most one "typing" call in this long (the template's throttle)
TYPING_SECONDS = 8  # a keystroke counts as typing this long: more than one throttle period
PRESENCE_SECONDS = 15  # unheard of for this long: gone (three missed polls)


@dataclass(frozen=True)
class Present:
    """Another agent on the case, as the page shows them."""

    user_id: int
    name: str
    typing: bool


def _key(case_id: int) -> str:
    return f"cxdesk:presence:case:{case_id}"


def _display_name(user: User) -> str:
    return user.get_full_name() or user.get_username()


def _live(entries: Any, now: float) -> dict[int, dict[str, Any]]:
    """The entries of agents heard from within PRESENCE_SECONDS (anything odd is dropped)."""
    if not isinstance(entries, dict):
        return {}
    return {
        user_id: entry
        for user_id, entry in entries.items()
        if isinstance(entry, dict) and now - entry.get("seen", 0) < PRESENCE_SECONDS
    }


def _others(entries: dict[int, dict[str, Any]], *, user_id: int, now: float) -> list[Present]:
    others = [
        Present(
            user_id=other_id,
            name=str(entry.get("name", "")),
            typing=now - entry.get("typed", 0) < TYPING_SECONDS,
        )
        for other_id, entry in entries.items()
        if other_id != user_id
    ]
    return sorted(others, key=lambda present: (not present.typing, present.name, present.user_id))


def presence_touch(
    *, case_id: int, user: User, typing: bool = False, now: datetime | None = None
) -> list[Present]:
    """Record that `user` is on the case (typing, or only viewing), and return the other
    agents present: typing ones first, then by name. `user` is never among them."""
    moment = (now or timezone.now()).timestamp()
    key = _key(case_id)
    entries = _live(cache.get(key), moment)
    previous = entries.get(user.pk, {})
    entries[user.pk] = {
        "name": _display_name(user),
        "seen": moment,
        "typed": moment if typing else previous.get("typed", 0),
    }
    cache.set(key, entries, timeout=PRESENCE_SECONDS)
    return _others(entries, user_id=user.pk, now=moment)
