"""cxdesk's template filters: `{% load cxdesk %}`."""

from datetime import datetime, timedelta

from django import template
from django.template.defaultfilters import pluralize
from django.utils import timezone

from apps.core import times
from apps.core.text import reveal_hidden, reveal_hidden_html

register = template.Library()


@register.filter
def duration(value: timedelta | None) -> str:
    """A length of time in words: "15 minutes", "1 hour 30 minutes", "2 days"."""
    if not isinstance(value, timedelta):
        return ""
    minutes = max(int(value.total_seconds() // 60), 0)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    parts = [
        f"{n} {unit}{pluralize(n)}"
        for n, unit in ((days, "day"), (hours, "hour"), (minutes, "minute"))
        if n
    ]
    return " ".join(parts) or "less than a minute"


def _short(seconds: int) -> str:
    minutes = seconds // 60
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes:02d}m"
    return f"{minutes}m"


@register.filter
def time_left(due: datetime | None) -> str:
    """Time until `due`, short ("2h 05m", "3d 4h"), negative once it has passed ("−15m")."""
    if not isinstance(due, datetime):
        return ""
    seconds = int((due - timezone.now()).total_seconds())
    return _short(seconds) if seconds >= 0 else f"−{_short(-seconds)}"


@register.filter
def breach_state(due: datetime | None) -> str:
    """ "breached", "soon" (within the hour) or "" — a class for the time-left badge."""
    if not isinstance(due, datetime):
        return ""
    return times.breach_state(due, timezone.now())


@register.filter
def when(value: datetime | None, mode: str = ""):
    """Every time on an agent's page: `{{ case.updated_at|when }}` renders
    <time datetime="ISO" title="absolute, in the agent's zone">12 min ago</time>;
    `|when:"due"` reads an SLA due time ("due in 35 min", "breached 5 min ago").
    The rules are apps/core/times.py; static/cxdesk/time.js refreshes the text."""
    if not isinstance(value, datetime):
        return ""
    return times.time_element(value, mode)


@register.filter
def is_stakeholder(user) -> bool:
    """The user is a stakeholder: base.html shows them only their links."""
    from apps.accounts.confinement import is_stakeholder as stakeholder

    return stakeholder(user)


@register.filter(is_safe=True)
def reveal(value) -> str:
    """Customer text for an HTML page: escaped, hidden characters shown as named markers.

    Use it on everything a customer or another system could have written: subjects, contact
    names and identities, tags, filenames, mailbox and team names (apps/core/text.py)."""
    if value is None:
        return value  # rendered "None", as without the filter
    return reveal_hidden_html(value)


@register.filter
def reveal_plain(value) -> str:
    """The same for places without markup, like <title>: plain "⟨U+202E⟩" markers."""
    if value is None:
        return value
    return reveal_hidden(value)


@register.simple_tag
def login_address_failure_limit() -> int:
    """Failed sign-ins from one address that pause it (for the lockout page)."""
    from apps.accounts.lockout import address_failure_limit

    return address_failure_limit()


@register.filter
def can_supervise(user) -> bool:
    """Whether the user is a supervisor or an admin (the console's link in the header)."""
    from apps.accounts.models import AgentProfile, role_of

    if not getattr(user, "is_authenticated", False):
        return False
    return role_of(user) in (AgentProfile.Role.SUPERVISOR, AgentProfile.Role.ADMIN)


@register.filter
def seconds(value: float | str | None) -> str:
    """A length of time given in seconds, short: "45s", "12m", "2h 05m", "3d 4h" ("" for None)."""
    if value is None or value == "":
        return ""
    total = int(round(float(value)))
    return f"{total}s" if total < 60 else _short(total)
