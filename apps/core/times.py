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
from html import escape

from django.utils import timezone, translation
from django.utils.dates import MONTHS_3, WEEKDAYS_ABBR
from django.utils.safestring import SafeString, mark_safe

MODES = ("", "due")

# A queue page shows about a hundred times: each is formatted here with the names of the
# active language, read once per language, rather than through django.utils.dateformat
# (a formatter object and a parse of the format string per value). The output is
# dateformat's, character for character ("D j M Y, H:i T"; tests/core/test_time_format.py).
_NAMES: dict[str | None, tuple[tuple[str, ...], dict[int, str]]] = {}


def _names() -> tuple[tuple[str, ...], dict[int, str]]:
    """(weekday abbreviations Monday first, month abbreviations) in the active language."""
    language = translation.get_language()
    names = _NAMES.get(language)
    if names is None:
        names = _NAMES[language] = (
            tuple(str(WEEKDAYS_ABBR[n]) for n in range(7)),
            {n: str(MONTHS_3[n]).title() for n in MONTHS_3},
        )
    return names


def _zone_name(local: datetime) -> str:
    """dateformat's "T": the zone's abbreviation, empty for a wall time that is ambiguous or
    does not exist in the zone (a DST change)."""
    zone = local.tzinfo
    if zone is None or zone.utcoffset(local.replace(fold=not local.fold)) != zone.utcoffset(local):
        return ""
    return str(zone.tzname(local))


def _hm(local: datetime) -> str:
    return f"{local.hour:02d}:{local.minute:02d}"


def _day(local: datetime, today, months: dict[int, str]) -> str:
    month = months[local.month]
    if local.year == today.year:
        return f"{local.day} {month}"
    return f"{local.day} {month} {local.year:04d}"


def _past(seconds: float, local: datetime, today, months: dict[int, str]) -> str:
    minutes = int(seconds // 60)
    if minutes < 1:
        return "just now"
    if minutes < 60:
        return f"{minutes} min ago"
    if local.date() == today:
        return f"{minutes // 60} h ago"
    if local.date() == today - timedelta(days=1):
        return f"yesterday {_hm(local)}"
    return _day(local, today, months)


def _future(seconds: float, local: datetime, today, months: dict[int, str]) -> str:
    minutes = max(1, math.ceil(seconds / 60))
    if minutes < 60:
        return f"in {minutes} min"
    if local.date() == today:
        hours, minutes = divmod(minutes, 60)
        return f"in {hours} h {minutes} min" if minutes else f"in {hours} h"
    if local.date() == today + timedelta(days=1):
        return f"tomorrow {_hm(local)}"
    return f"{_day(local, today, months)} {_hm(local)}"


def relative_text(value: datetime, *, now: datetime | None = None, mode: str = "") -> str:
    now = now or timezone.now()
    return Clock(now).relative(value, mode)


def _relative(value, local, now, today, mode: str, months: dict[int, str]) -> str:
    seconds = (now - value).total_seconds()
    if seconds >= 0:
        text = _past(seconds, local, today, months)
        return f"breached {text}" if mode == "due" else text
    text = _future(-seconds, local, today, months)
    return f"due {text}" if mode == "due" else text


def absolute_text(value: datetime) -> str:
    """ "Wed 2 Dec 2026, 14:05 CET": the title of every relative time."""
    return _absolute(timezone.localtime(value), _names())


def _absolute(local: datetime, names: tuple[tuple[str, ...], dict[int, str]]) -> str:
    weekdays, months = names
    return (
        f"{weekdays[local.weekday()]} {local.day} {months[local.month]} {local.year:04d}, "
        f"{_hm(local)} {_zone_name(local)}"
    )


def breach_state(due: datetime, now: datetime) -> str:
    """ "breached", "soon" (within the hour) or "" — a class for an SLA due time's badge."""
    left = (due - now).total_seconds()
    return "breached" if left < 0 else "soon" if left < 3600 else ""


class Clock:
    """A page's moment, with the active zone and language's names read once: what formats
    its many times (apps/cases/queue_rows.py), each against the same now."""

    def __init__(self, now: datetime | None = None):
        self.now = now or timezone.now()
        self.zone = timezone.get_current_timezone()
        self.today = timezone.localtime(self.now, self.zone).date()
        self.names = _names()

    def relative(self, value: datetime, mode: str = "") -> str:
        local = timezone.localtime(value, self.zone)
        return _relative(value, local, self.now, self.today, mode, self.names[1])

    def element(self, value: datetime, mode: str = "") -> SafeString:
        """<time datetime="ISO" title="absolute" data-when="past|due">relative</time>."""
        mode = mode if mode in MODES else ""
        local = timezone.localtime(value, self.zone)
        relative = _relative(value, local, self.now, self.today, mode, self.names[1])
        return mark_safe(
            f'<time datetime="{value.astimezone(UTC).isoformat(timespec="seconds")}" '
            f'title="{escape(_absolute(local, self.names))}" data-when="{mode or "past"}">'
            f"{escape(relative)}</time>"
        )


def time_element(value: datetime, mode: str = "", *, now: datetime | None = None) -> SafeString:
    """One <time> (Clock.element); `now` defaults to timezone.now()."""
    return Clock(now).element(value, mode)
