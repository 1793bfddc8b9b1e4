"""Where a calendar's holidays come from: explicit dates, a country's set, an .ics file."""

from datetime import UTC, date, datetime

import pytest

from apps.sla.business_time import DAY_KEYS, Calendar, add_business_minutes
from apps.sla.holidays_import import holidays_from_ics

OFFICE = {key: [("09:00", "17:00")] for key in DAY_KEYS[:5]}


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def england(**extra: object) -> Calendar:
    return Calendar(
        timezone="Europe/London",
        weekly_hours=OFFICE,
        holiday_country="GB",
        holiday_subdivision="ENG",
        **extra,
    )


# --- a country's public holidays (the holidays package) ---------------------------------------


def test_easter_bank_holidays_in_england_are_closed():
    # Thursday 2 April 2026 16:00 BST; Good Friday 3 and Easter Monday 6 April are closed
    due = add_business_minutes(england(), utc(2026, 4, 2, 15, 0), 240)
    assert due == utc(2026, 4, 7, 11, 0)  # Tuesday 12:00 BST


def test_the_country_set_answers_for_any_year_it_is_asked_about():
    calendar = england()
    # Christmas 2031 is a Thursday, Boxing Day a Friday: Wednesday 16:00 + 2 h is Monday 10:00
    assert add_business_minutes(calendar, utc(2031, 12, 24, 16), 120) == utc(2031, 12, 29, 10)
    # 2099: Christmas on a Friday, Boxing Day (observed) on Monday 28
    assert not calendar.is_open(utc(2099, 12, 25, 10))
    assert not calendar.is_open(utc(2099, 12, 28, 10))
    assert calendar.is_open(utc(2099, 12, 29, 10))
    assert calendar.is_open(utc(2099, 12, 24, 10))


def test_the_subdivision_decides_regional_holidays():
    # 2 January is a bank holiday in Scotland, not in England (a Friday in 2026)
    scotland = Calendar(
        timezone="Europe/London",
        weekly_hours=OFFICE,
        holiday_country="GB",
        holiday_subdivision="SCT",
    )
    assert not scotland.is_open(utc(2026, 1, 2, 10))
    assert england().is_open(utc(2026, 1, 2, 10))


def test_explicit_holidays_add_to_the_country_set():
    calendar = england(holidays=[date(2026, 4, 7)])  # the Tuesday after Easter, too
    assert add_business_minutes(calendar, utc(2026, 4, 2, 15, 0), 240) == utc(2026, 4, 8, 11, 0)


def test_the_country_is_part_of_the_calendar_value():
    assert england() == england()
    assert england() != Calendar(timezone="Europe/London", weekly_hours=OFFICE)
    assert hash(england()) == hash(england())


@pytest.mark.parametrize(
    ("country", "subdivision", "message"),
    [
        ("XX", None, "Country XX not available"),
        ("GB", "XYZ", "does not have subdivision XYZ"),
        (None, "ENG", "holiday_subdivision needs a holiday_country"),
    ],
)
def test_an_unknown_country_or_subdivision_is_refused(country, subdivision, message):
    with pytest.raises(ValueError, match=message):
        Calendar(
            timezone="Europe/London",
            weekly_hours=OFFICE,
            holiday_country=country,
            holiday_subdivision=subdivision,
        )


# --- an iCalendar file --------------------------------------------------------------------------


def ics(*events: str) -> str:
    """A VCALENDAR of the events, each given as its content lines separated by spaces."""
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//cxdesk tests//EN"]
    for event in events:
        lines += ["BEGIN:VEVENT", *event.split(), "END:VEVENT"]
    return "\r\n".join([*lines, "END:VCALENDAR", ""])


def test_all_day_events_are_holidays():
    data = ics(
        "UID:1 DTSTART;VALUE=DATE:20261225 DTEND;VALUE=DATE:20261226 SUMMARY:Christmas",
        "UID:2 DTSTART;VALUE=DATE:20260101 SUMMARY:New-Year",  # no end: one day
    )
    assert holidays_from_ics(data) == [date(2026, 1, 1), date(2026, 12, 25)]
    assert holidays_from_ics(data.encode()) == [date(2026, 1, 1), date(2026, 12, 25)]


def test_a_multi_day_event_ends_the_day_before_its_dtend():
    closing = "UID:1 DTSTART;VALUE=DATE:20261224 DTEND;VALUE=DATE:20261228"
    lasting = "UID:2 DTSTART;VALUE=DATE:20260803 DURATION:P2D"
    assert holidays_from_ics(ics(closing, lasting)) == [
        date(2026, 8, 3),
        date(2026, 8, 4),
        date(2026, 12, 24),
        date(2026, 12, 25),
        date(2026, 12, 26),
        date(2026, 12, 27),
    ]


def test_yearly_rules_are_expanded_with_their_exceptions():
    counted = "UID:1 DTSTART;VALUE=DATE:20261225 RRULE:FREQ=YEARLY;COUNT=3"
    until = (
        "UID:2 DTSTART;VALUE=DATE:20260501 RRULE:FREQ=YEARLY;UNTIL=20280501T000000Z "
        "    EXDATE;VALUE=DATE:20270501"
    )
    assert holidays_from_ics(ics(counted, until)) == [
        date(2026, 5, 1),
        date(2026, 12, 25),
        date(2027, 12, 25),
        date(2028, 5, 1),
        date(2028, 12, 25),
    ]


def test_a_rule_without_an_end_is_expanded_up_to_a_horizon():
    endless = "UID:1 DTSTART;VALUE=DATE:20260101 RRULE:FREQ=YEARLY"
    dates = holidays_from_ics(ics(endless))
    assert dates[0] == date(2026, 1, 1)
    assert dates[-1] == date(2100, 1, 1)
    assert len(dates) == 75
    assert holidays_from_ics(ics(endless), until=date(2028, 6, 1)) == [
        date(2026, 1, 1),
        date(2027, 1, 1),
        date(2028, 1, 1),
    ]


def test_a_recurring_multi_day_event_covers_each_occurrence():
    two_days = (
        "UID:1 DTSTART;VALUE=DATE:20261225 DTEND;VALUE=DATE:20261227     RRULE:FREQ=YEARLY;COUNT=2"
    )
    assert holidays_from_ics(ics(two_days)) == [
        date(2026, 12, 25),
        date(2026, 12, 26),
        date(2027, 12, 25),
        date(2027, 12, 26),
    ]


def test_timed_and_cancelled_events_close_no_date():
    timed = "UID:1 DTSTART:20261224T120000Z DTEND:20261224T170000Z SUMMARY:Early-close"
    cancelled = "UID:2 DTSTART;VALUE=DATE:20261231 STATUS:CANCELLED"
    kept = "UID:3 DTSTART;VALUE=DATE:20261225"
    assert holidays_from_ics(ics(timed, cancelled, kept)) == [date(2026, 12, 25)]


def test_imported_dates_close_the_calendar():
    dates = holidays_from_ics(ics("UID:1 DTSTART;VALUE=DATE:20260119"))  # a Monday
    calendar = Calendar(timezone="Europe/London", weekly_hours=OFFICE, holidays=dates)
    assert add_business_minutes(calendar, utc(2026, 1, 16, 16), 240) == utc(2026, 1, 20, 12)
    assert calendar.next_open(utc(2026, 1, 19, 10)) == utc(2026, 1, 20, 9)


@pytest.mark.parametrize(
    "data",
    [
        "Christmas: 25 December",
        b"",
        b"\xff\xfe\x00garbage",
        "BEGIN:VCARD\r\nVERSION:4.0\r\nFN:Ann\r\nEND:VCARD\r\n",
    ],
)
def test_a_file_that_is_not_icalendar_is_refused(data):
    with pytest.raises(ValueError, match="not an iCalendar file"):
        holidays_from_ics(data)


def test_a_broken_event_is_refused_naming_it():
    broken = "UID:1 DTSTART;VALUE=DATE:2026-12-25 SUMMARY:Christmas"
    with pytest.raises(ValueError, match="iCalendar event 'Christmas'"):
        holidays_from_ics(ics(broken))
    with pytest.raises(ValueError, match="no DTSTART"):
        holidays_from_ics(ics("UID:2 SUMMARY:Nothing"))
