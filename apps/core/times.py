"""Times as an agent reads them: relative ("12 min ago", "due in 35 min") with the absolute
time in their zone on hover. One place: the `|when` template filter renders every time of
the agent's pages through `time_element`, and static/cxdesk/time.js recomputes the same
relative text every minute in the browser (the rules below, mirrored there).

Past:   under a minute "just now"; under an hour "12 min ago"; earlier today "3 h ago";
        yesterday "yesterday 14:05"; before "28 Nov" (this year) or "28 Nov 2025".
Future: "in 35 min" (minutes rounded up: a clock never reads later than it is); later
        today "in 3 h 10 min"; "tomorrow 09:00"; after "5 Dec 09:00" / "5 Jan 2027 09:00".
Mode "due" (an SLA target): "due in 35 min", and once past it "breached 5 min ago".

"Today" and "yesterday" are days of the active time zone (the agent's, activated by
apps.accounts.timezones.AgentTimeZoneMiddleware), so a day of 23 or 25 hours at a DST change
counts as one day; elapsed minutes and hours are real elapsed time.
"""

import math
from datetime import UTC, datetime, timedelta

from django.utils import dateformat, timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString

MODES = ("", "due")


def _day(local: datetime, today) -> str:
    return dateformat.format(local, "j M" if local.year == today.year else "j M Y")


def _past(seconds: float, local: datetime, today) -> str:
    minutes = int(seconds // 60)
    if minutes < 1:
        return "just now"
    if minutes < 60:
        return f"{minutes} min ago"
    if local.date() == today:
        return f"{minutes // 60} h ago"
    if local.date() == today - timedelta(days=1):
        return f"yesterday {local:%H:%M}"
    return _day(local, today)


def _future(seconds: float, local: datetime, today) -> str:
    minutes = max(1, math.ceil(seconds / 60))
    if minutes < 60:
        return f"in {minutes} min"
    if local.date() == today:
        hours, minutes = divmod(minutes, 60)
        return f"in {hours} h {minutes} min" if minutes else f"in {hours} h"
    if local.date() == today + timedelta(days=1):
        return f"tomorrow {local:%H:%M}"
    return f"{_day(local, today)} {local:%H:%M}"


def relative_text(value: datetime, *, now: datetime | None = None, mode: str = "") -> str:
    now = now or timezone.now()
    local = timezone.localtime(value)
    today = timezone.localtime(now).date()
    seconds = (now - value).total_seconds()
    if seconds >= 0:
        text = _past(seconds, local, today)
        return f"breached {text}" if mode == "due" else text
    text = _future(-seconds, local, today)
    return f"due {text}" if mode == "due" else text


def absolute_text(value: datetime) -> str:
    """ "Wed 2 Dec 2026, 14:05 CET": the title of every relative time."""
    return dateformat.format(timezone.localtime(value), "D j M Y, H:i T")


def time_element(value: datetime, mode: str = "") -> SafeString:
    mode = mode if mode in MODES else ""
    return format_html(
        '<time datetime="{}" title="{}" data-when="{}">{}</time>',
        value.astimezone(UTC).isoformat(timespec="seconds"),
        absolute_text(value),
        mode or "past",
        relative_text(value, mode=mode),
    )
