"""Holiday dates from an iCalendar (.ics) file, for a business calendar's explicit holidays.

``holidays_from_ics(data)`` reads a whole file (bytes or text) and returns the sorted, distinct
dates its events cover, ready for ``Calendar(holidays=...)``:

- only **all-day** events count (``DTSTART;VALUE=DATE``); an event with a time of day
  (an early closing, a meeting) does not close a whole date and is left out;
- an event covers ``DTSTART`` up to but not including ``DTEND`` (RFC 5545: the end of an
  all-day event is exclusive), or ``DTSTART`` plus its ``DURATION``, or that one day;
- ``RRULE`` (e.g. ``FREQ=YEARLY`` for a fixed-date holiday), ``RDATE`` and ``EXDATE`` are
  expanded with dateutil's rrule, as icalendar does for time zones. A rule without an end is
  expanded up to ``until`` (31 Dec 2100 unless given): the list is finite, so a rule's
  occurrences after that date are not in it;
- cancelled events (``STATUS:CANCELLED``) are left out.

Anything that is not an iCalendar file (no ``VCALENDAR``, unparsable lines, a broken date)
is a ValueError naming what is wrong. Country public holidays need no file: see
``Calendar(holiday_country=...)`` in apps.sla.business_time.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import cast

import icalendar
from dateutil.rrule import rruleset, rrulestr  # type: ignore[import-untyped]  # no stubs installed

__all__ = ["DEFAULT_UNTIL", "holidays_from_ics"]

DEFAULT_UNTIL = date(2100, 12, 31)
_MAX_DATES_PER_EVENT = 100_000  # a daily rule over two centuries is ~73,000


def holidays_from_ics(data: bytes | str, *, until: date = DEFAULT_UNTIL) -> list[date]:
    """The dates covered by the file's all-day events, sorted, each once (see the module doc)."""
    if not isinstance(data, bytes | str):
        raise ValueError(f"an iCalendar file is bytes or str, got {type(data).__name__}")
    try:
        calendar = icalendar.Calendar.from_ical(data)
    except ValueError as exc:
        raise ValueError(f"not an iCalendar file: {exc}") from None
    if calendar.name != "VCALENDAR":
        raise ValueError(f"not an iCalendar file: it holds a {calendar.name}, not a VCALENDAR")
    dates: set[date] = set()
    for event in calendar.walk("VEVENT"):
        try:
            dates.update(_event_dates(cast(icalendar.Event, event), until))
        except ValueError as exc:
            label = event.get("SUMMARY") or event.get("UID") or "an event"
            raise ValueError(f"iCalendar event {str(label)!r}: {exc}") from None
    return sorted(dates)


def _event_dates(event: icalendar.Event, until: date) -> set[date]:
    if str(event.get("STATUS", "")).upper() == "CANCELLED":
        return set()
    if "DTSTART" not in event:
        raise ValueError("it has no DTSTART")
    start = event.start  # a broken value raises icalendar's InvalidCalendar, a ValueError
    if isinstance(start, datetime):
        return set()  # not an all-day event
    end = event.end
    if isinstance(end, datetime):
        raise ValueError("an all-day DTSTART with a DTEND that has a time of day")
    days = max((end - start).days, 1)
    starts = _occurrences(event, start, until)
    return {first + timedelta(days=i) for first in starts for i in range(days)}


def _occurrences(event: icalendar.Event, start: date, until: date) -> list[date]:
    """The start dates of the event's occurrences up to ``until`` (DTSTART itself included)."""
    rules, extra, excluded = event.rrules, event.rdates, event.exdates
    if not rules and not extra:
        return [start] if start not in {_as_date(x) for x in excluded} else []
    occurrences = rruleset()
    occurrences.rdate(_midnight(start))
    for rule in rules:
        rule = rule.copy()  # an UNTIL with a time (often ...T000000Z) means its date here
        if "UNTIL" in rule:
            rule["UNTIL"] = [_as_date(value) for value in rule["UNTIL"]]
        text = rule.to_ical().decode()
        try:
            occurrences.rrule(rrulestr(text, dtstart=_midnight(start)))
        except (ValueError, TypeError) as exc:
            raise ValueError(f"RRULE {text}: {exc}") from None
    for first, _ in extra:
        occurrences.rdate(_midnight(_as_date(first)))
    for value in excluded:
        occurrences.exdate(_midnight(_as_date(value)))
    found: list[date] = []
    for occurrence in occurrences:
        day = cast(datetime, occurrence).date()
        if day > until:
            break
        found.append(day)
        if len(found) > _MAX_DATES_PER_EVENT:
            raise ValueError(f"it recurs more than {_MAX_DATES_PER_EVENT} times before {until}")
    return found


def _as_date(value: date | datetime) -> date:
    return value.date() if isinstance(value, datetime) else value


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time())  # noqa: DTZ001 — dateutil compares dates as naive
