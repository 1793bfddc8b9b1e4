"""cxdesk's template filters: `{% load cxdesk %}`."""

from datetime import timedelta

from django import template
from django.template.defaultfilters import pluralize

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
