"""Business time on cases worked out by hand: every expected instant is a literal (in UTC).

Calendar facts used: January 2026 is GMT (UTC+0) in London, June is BST (UTC+1); London's
clocks go forward on Sun 29 March 2026 at 01:00 UTC and back on Sun 25 October 2026 at
01:00 UTC; New York's go forward on Sun 8 March 2026 at 07:00 UTC (02:00 EST → 03:00 EDT)
and back on Sun 1 November 2026 at 06:00 UTC (02:00 EDT → 01:00 EST).
Fri 16 Jan 2026, Sat 17, Sun 18, Mon 19, Tue 20.
"""

import dataclasses
from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from apps.sla.business_time import (
    DAY_KEYS,
    Calendar,
    NoDueInstant,
    add_business_minutes,
    add_business_time,
    business_time_between,
)

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")
OFFICE = {key: [("09:00", "17:00")] for key in DAY_KEYS[:5]}
ALWAYS = {key: [("00:00", "24:00")] for key in DAY_KEYS}
SPLIT = {key: [("09:00", "12:30"), ("13:30", "17:00")] for key in DAY_KEYS[:5]}
office = Calendar(timezone="Europe/London", weekly_hours=OFFICE)
HOUR = timedelta(hours=1)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# --- the example, weekends, closing time --------------------------------------------


def test_a_friday_afternoon_case_with_a_four_hour_target_is_due_monday_noon():
    created = datetime(2026, 1, 16, 16, 0, tzinfo=LONDON)  # Friday 16:00 GMT
    assert add_business_minutes(office, created, 240) == utc(2026, 1, 19, 12, 0)


def test_the_same_case_in_summer_is_due_monday_noon_british_summer_time():
    created = datetime(2026, 6, 12, 16, 0, tzinfo=LONDON)  # Friday 16:00 BST
    assert add_business_minutes(office, created, 240) == utc(2026, 6, 15, 11, 0)  # 12:00 BST


def test_the_weekend_does_not_count():
    saturday = datetime(2026, 1, 17, 10, 0, tzinfo=LONDON)
    assert add_business_minutes(office, saturday, 60) == utc(2026, 1, 19, 10, 0)
    assert business_time_between(office, utc(2026, 1, 16, 16), utc(2026, 1, 19, 12)) == 4 * HOUR
    assert business_time_between(office, utc(2026, 1, 19), utc(2026, 1, 26)) == 40 * HOUR


def test_a_budget_that_runs_out_at_closing_is_due_at_closing_not_at_the_next_opening():
    assert add_business_minutes(office, utc(2026, 1, 19, 16, 0), 60) == utc(2026, 1, 19, 17, 0)
    assert add_business_minutes(office, utc(2026, 1, 19, 9, 0), 480) == utc(2026, 1, 19, 17, 0)
    assert add_business_minutes(office, utc(2026, 1, 19, 9, 0), 481) == utc(2026, 1, 20, 9, 1)


def test_the_answer_is_in_utc_whatever_offset_the_start_has():
    in_kolkata = datetime(2026, 1, 16, 21, 30, tzinfo=timezone(timedelta(hours=5, minutes=30)))
    due = add_business_minutes(office, in_kolkata, 240)  # = Friday 16:00 in London
    assert due == utc(2026, 1, 19, 12, 0)
    assert due.tzinfo is UTC
    in_new_york = datetime(2026, 1, 16, 11, 0, tzinfo=NEW_YORK)  # 16:00 UTC too
    assert add_business_minutes(office, in_new_york, 240).tzinfo is UTC


def test_a_timedelta_budget_is_exact_to_the_microsecond():
    start = utc(2026, 1, 19, 9, 0)
    assert add_business_time(office, start, timedelta(seconds=90)) == utc(2026, 1, 19, 9, 1, 30)
    almost = datetime(2026, 1, 19, 16, 59, 59, 999_999, tzinfo=UTC)
    assert add_business_time(office, almost, timedelta(microseconds=1)) == utc(2026, 1, 19, 17)
    assert add_business_time(office, almost, timedelta(microseconds=2)) == datetime(
        2026, 1, 20, 9, 0, 0, 1, tzinfo=UTC
    )


# --- holidays, split shifts, overnight shifts ------------------------------------------------


def test_a_holiday_closes_its_whole_local_date():
    calendar = Calendar(timezone="Europe/London", weekly_hours=OFFICE, holidays=[date(2026, 1, 19)])
    friday = utc(2026, 1, 16, 16, 0)
    assert add_business_minutes(calendar, friday, 240) == utc(2026, 1, 20, 12, 0)
    assert not calendar.is_open(utc(2026, 1, 19, 10, 0))
    assert business_time_between(calendar, utc(2026, 1, 19), utc(2026, 1, 20)) == timedelta(0)


def test_a_holiday_is_a_local_date_not_a_utc_date():
    # Tokyo is UTC+9: 2 March 2026 local runs from 1 March 15:00 UTC to 2 March 15:00 UTC.
    tokyo = Calendar(timezone="Asia/Tokyo", weekly_hours=ALWAYS, holidays=[date(2026, 3, 2)])
    assert tokyo.is_open(utc(2026, 3, 1, 14, 59))
    assert not tokyo.is_open(utc(2026, 3, 1, 15, 0))
    assert not tokyo.is_open(utc(2026, 3, 2, 14, 59))
    assert tokyo.next_open(utc(2026, 3, 2, 0, 0)) == utc(2026, 3, 2, 15, 0)


def test_a_lunch_break_does_not_count():
    calendar = Calendar(timezone="Europe/London", weekly_hours=SPLIT)
    noon = utc(2026, 1, 19, 12, 0)
    assert add_business_minutes(calendar, noon, 60) == utc(2026, 1, 19, 14, 0)
    assert add_business_minutes(calendar, noon, 30) == utc(2026, 1, 19, 12, 30)  # at lunch
    assert add_business_minutes(calendar, utc(2026, 1, 19, 12, 45), 0) == utc(2026, 1, 19, 13, 30)
    assert business_time_between(calendar, utc(2026, 1, 19, 9), utc(2026, 1, 19, 17)) == 7 * HOUR


def test_touching_intervals_are_one_opening():
    calendar = Calendar(
        timezone="UTC", weekly_hours={"mon": [("12:00", "17:00"), ("09:00", "12:00")]}
    )
    assert list(calendar.open_intervals(utc(2026, 1, 19), utc(2026, 1, 20))) == [
        (utc(2026, 1, 19, 9), utc(2026, 1, 19, 17))
    ]


NIGHTS = {"fri": [("22:00", "24:00")], "sat": [("00:00", "06:00")]}


def test_an_overnight_shift_runs_across_midnight_as_one_span():
    calendar = Calendar(timezone="Europe/London", weekly_hours=NIGHTS)
    friday_late = utc(2026, 1, 16, 23, 0)
    assert add_business_minutes(calendar, friday_late, 60) == utc(2026, 1, 17, 0, 0)  # midnight
    assert add_business_minutes(calendar, friday_late, 120) == utc(2026, 1, 17, 1, 0)
    assert add_business_minutes(calendar, utc(2026, 1, 17, 0, 0), 0) == utc(2026, 1, 17, 0, 0)
    assert calendar.is_open(utc(2026, 1, 17, 0, 0))
    assert not calendar.is_open(utc(2026, 1, 17, 6, 0))
    assert list(calendar.open_intervals(utc(2026, 1, 16, 12), utc(2026, 1, 18, 12))) == [
        (utc(2026, 1, 16, 22, 0), utc(2026, 1, 17, 6, 0))
    ]
    assert business_time_between(calendar, utc(2026, 1, 16, 21), utc(2026, 1, 17, 7)) == 8 * HOUR


# --- daylight saving time ---------------------------------------------------------------------

london_always = Calendar(timezone="Europe/London", weekly_hours=ALWAYS)
new_york_always = Calendar(timezone="America/New_York", weekly_hours=ALWAYS)


def test_a_24_7_calendar_has_25_hours_on_fall_back_day_and_23_on_spring_forward_day():
    # London's Sunday 25 Oct: 00:00 BST (24 Oct 23:00 UTC) to Monday 00:00 GMT (00:00 UTC)
    assert business_time_between(london_always, utc(2026, 10, 24, 23), utc(2026, 10, 26)) == (
        25 * HOUR
    )
    # London's Sunday 29 Mar: 00:00 GMT (00:00 UTC) to Monday 00:00 BST (29 Mar 23:00 UTC)
    end = datetime(2026, 3, 30, 0, 0, tzinfo=LONDON)
    assert business_time_between(london_always, utc(2026, 3, 29), end) == 23 * HOUR
    # New York's Sunday 1 Nov: 00:00 EDT (04:00 UTC) to Monday 00:00 EST (05:00 UTC)
    assert business_time_between(new_york_always, utc(2026, 11, 1, 4), utc(2026, 11, 2, 5)) == (
        25 * HOUR
    )
    # New York's Sunday 8 Mar: 00:00 EST (05:00 UTC) to Monday 00:00 EDT (04:00 UTC)
    assert business_time_between(new_york_always, utc(2026, 3, 8, 5), utc(2026, 3, 9, 4)) == (
        23 * HOUR
    )


SUNDAY_EARLY = {"sun": [("00:00", "06:00")]}


def test_a_midnight_to_six_shift_lasts_7_hours_on_fall_back_day_and_5_on_spring_forward():
    london = Calendar(timezone="Europe/London", weekly_hours=SUNDAY_EARLY)
    assert list(london.open_intervals(utc(2026, 10, 24, 12), utc(2026, 10, 25, 12))) == [
        (utc(2026, 10, 24, 23, 0), utc(2026, 10, 25, 6, 0))  # 00:00 BST to 06:00 GMT
    ]
    assert list(london.open_intervals(utc(2026, 3, 28, 12), utc(2026, 3, 29, 12))) == [
        (utc(2026, 3, 29, 0, 0), utc(2026, 3, 29, 5, 0))  # 00:00 GMT to 06:00 BST
    ]
    new_york = Calendar(timezone="America/New_York", weekly_hours=SUNDAY_EARLY)
    assert list(new_york.open_intervals(utc(2026, 10, 31, 12), utc(2026, 11, 1, 12))) == [
        (utc(2026, 11, 1, 4, 0), utc(2026, 11, 1, 11, 0))  # 00:00 EDT to 06:00 EST
    ]
    assert list(new_york.open_intervals(utc(2026, 3, 7, 12), utc(2026, 3, 8, 12))) == [
        (utc(2026, 3, 8, 5, 0), utc(2026, 3, 8, 10, 0))  # 00:00 EST to 06:00 EDT
    ]


def test_budgets_through_the_changed_hour_count_real_time():
    london = Calendar(timezone="Europe/London", weekly_hours=SUNDAY_EARLY)
    # fall back: 6 of the shift's 7 real hours, so due at 05:00 GMT
    assert add_business_minutes(london, utc(2026, 10, 24, 23), 360) == utc(2026, 10, 25, 5)
    # spring forward: the shift has 5 hours; the sixth is the next Sunday's first
    assert add_business_minutes(london, utc(2026, 3, 29, 0), 360) == utc(2026, 4, 5, 0)  # 01:00 BST
    # New York, Saturday 22:00 EDT (02:00 UTC) to Sunday 06:00 EST (11:00 UTC): 9 real hours
    nights = Calendar(
        timezone="America/New_York",
        weekly_hours={"sat": [("22:00", "24:00")], "sun": [("00:00", "06:00")]},
    )
    assert add_business_minutes(nights, utc(2026, 11, 1, 2), 480) == utc(2026, 11, 1, 10)
    # New York office hours across the spring-forward weekend: Friday 16:00 EST + 4 h
    ny_office = Calendar(timezone="America/New_York", weekly_hours=OFFICE)
    friday = datetime(2026, 3, 6, 16, 0, tzinfo=NEW_YORK)  # 21:00 UTC
    assert add_business_minutes(ny_office, friday, 240) == utc(2026, 3, 9, 16, 0)  # 12:00 EDT


def test_hours_covering_the_changed_hour_lose_the_skipped_hour_and_count_the_repeated_twice():
    calendar = Calendar(timezone="Europe/London", weekly_hours={"sun": [("01:00", "03:00")]})
    # spring forward: the wall clock reads 02:00 BST at 01:00 UTC, 03:00 BST at 02:00 UTC
    assert list(calendar.open_intervals(utc(2026, 3, 28), utc(2026, 3, 30))) == [
        (utc(2026, 3, 29, 1, 0), utc(2026, 3, 29, 2, 0))
    ]
    # fall back: 01:00 BST (00:00 UTC) … 01:59 BST, 01:00 GMT … 02:59 GMT: three hours
    assert list(calendar.open_intervals(utc(2026, 10, 24), utc(2026, 10, 26))) == [
        (utc(2026, 10, 25, 0, 0), utc(2026, 10, 25, 3, 0))
    ]


def test_an_opening_inside_the_repeated_hour_opens_at_each_of_its_occurrences():
    calendar = Calendar(timezone="Europe/London", weekly_hours={"sun": [("01:30", "03:00")]})
    # 01:30 BST = 00:30 UTC; at 01:00 UTC the clock goes back to 01:00 GMT, before opening
    # time, and reaches 01:30 again at 01:30 UTC
    assert list(calendar.open_intervals(utc(2026, 10, 24), utc(2026, 10, 26))) == [
        (utc(2026, 10, 25, 0, 30), utc(2026, 10, 25, 1, 0)),
        (utc(2026, 10, 25, 1, 30), utc(2026, 10, 25, 3, 0)),
    ]
    assert not calendar.is_open(utc(2026, 10, 25, 1, 15))
    assert business_time_between(calendar, utc(2026, 10, 24), utc(2026, 10, 26)) == 2 * HOUR


def test_an_opening_inside_the_skipped_hour_opens_when_the_skipped_hour_ends():
    calendar = Calendar(timezone="Europe/London", weekly_hours={"sun": [("01:30", "03:00")]})
    assert calendar.next_open(utc(2026, 3, 29, 0, 45)) == utc(2026, 3, 29, 1, 0)  # 02:00 BST
    assert list(calendar.open_intervals(utc(2026, 3, 28), utc(2026, 3, 30))) == [
        (utc(2026, 3, 29, 1, 0), utc(2026, 3, 29, 2, 0))
    ]


# --- pauses -----------------------------------------------------------------------------------

MONDAY_9 = utc(2026, 1, 19, 9, 0)


def test_a_budget_that_runs_out_when_a_pause_begins_is_due_at_that_instant():
    pause = (utc(2026, 1, 19, 10, 0), utc(2026, 1, 19, 11, 0))
    assert add_business_minutes(office, MONDAY_9, 60, [pause]) == utc(2026, 1, 19, 10, 0)
    assert add_business_minutes(office, MONDAY_9, 61, [pause]) == utc(2026, 1, 19, 11, 1)


def test_paused_time_does_not_count():
    pause = (utc(2026, 1, 19, 10, 0), utc(2026, 1, 19, 10, 30))
    assert add_business_minutes(office, MONDAY_9, 120, [pause]) == utc(2026, 1, 19, 11, 30)
    # a pause over closing time: 30 minutes on Monday, the rest from Tuesday 09:30
    overnight = (utc(2026, 1, 19, 16, 30), utc(2026, 1, 20, 9, 30))
    start = utc(2026, 1, 19, 16, 0)
    assert add_business_minutes(office, start, 60, [overnight]) == utc(2026, 1, 20, 10, 0)
    # a pause that began before the start
    weekend = (utc(2026, 1, 18, 12, 0), utc(2026, 1, 19, 10, 0))
    assert add_business_minutes(office, MONDAY_9, 60, [weekend]) == utc(2026, 1, 19, 11, 0)


def test_pauses_may_overlap_and_come_in_any_order():
    pauses = [
        (utc(2026, 1, 19, 10, 15), utc(2026, 1, 19, 10, 45)),
        (utc(2026, 1, 19, 10, 0), utc(2026, 1, 19, 10, 30)),
    ]
    assert add_business_minutes(office, MONDAY_9, 120, pauses) == utc(2026, 1, 19, 11, 45)
    end = utc(2026, 1, 19, 17)
    assert business_time_between(office, MONDAY_9, end, pauses) == timedelta(hours=7, minutes=15)


def test_an_open_ended_pause_stops_the_clock_until_further_notice():
    pending = [(utc(2026, 1, 19, 10, 0), None)]
    assert add_business_minutes(office, MONDAY_9, 60, pending) == utc(2026, 1, 19, 10, 0)
    with pytest.raises(NoDueInstant, match="until further notice"):
        add_business_minutes(office, MONDAY_9, 61, pending)
    assert business_time_between(office, MONDAY_9, utc(2026, 1, 26), pending) == HOUR
    with pytest.raises(NoDueInstant):  # started while already pending: not even a zero budget
        add_business_minutes(office, utc(2026, 1, 19, 11, 0), 0, pending)


def test_an_empty_pause_is_no_pause_and_a_reversed_one_is_refused():
    empty = [(utc(2026, 1, 19, 10, 0), utc(2026, 1, 19, 10, 0))]
    assert add_business_minutes(office, MONDAY_9, 120, empty) == utc(2026, 1, 19, 11, 0)
    with pytest.raises(ValueError, match="pause ends before it begins"):
        add_business_minutes(office, MONDAY_9, 60, [(utc(2026, 1, 19, 11), utc(2026, 1, 19, 10))])
    with pytest.raises(ValueError, match="pause start must be an aware datetime"):
        add_business_minutes(office, MONDAY_9, 60, [(datetime(2026, 1, 19, 10), None)])  # noqa: DTZ001
    with pytest.raises(ValueError, match=r"a pause is a \(from, to\) pair"):
        add_business_minutes(office, MONDAY_9, 60, [(utc(2026, 1, 19, 10),)])


# --- zero budgets -----------------------------------------------------------------------------


def test_a_zero_budget_is_due_at_the_first_business_instant_at_or_after_the_start():
    saturday = utc(2026, 1, 17, 10, 0)
    assert add_business_minutes(office, saturday, 0) == utc(
        2026, 1, 19, 9, 0
    )  # closed: next opening
    exact = datetime(2026, 1, 19, 10, 0, 0, 123_456, tzinfo=UTC)
    assert add_business_minutes(office, exact, 0) == exact  # open: the start itself
    closing = utc(2026, 1, 19, 17, 0)
    assert add_business_minutes(office, closing, 0) == utc(2026, 1, 20, 9, 0)  # half-open
    assert office.next_open(saturday) == utc(2026, 1, 19, 9, 0)


def test_a_zero_budget_on_a_paused_instant_is_due_when_the_pause_ends():
    pause = (utc(2026, 1, 19, 9, 30), utc(2026, 1, 19, 10, 15))
    assert add_business_minutes(office, utc(2026, 1, 19, 10), 0, [pause]) == utc(
        2026, 1, 19, 10, 15
    )
    until_closing = (utc(2026, 1, 19, 15), utc(2026, 1, 19, 17))
    assert add_business_minutes(office, utc(2026, 1, 19, 16), 0, [until_closing]) == utc(
        2026, 1, 20, 9, 0
    )


# --- business_time_between, is_open, open_intervals -------------------------------------------


def test_an_interval_that_ends_before_it_starts_holds_no_business_time():
    assert business_time_between(office, utc(2026, 1, 19, 12), utc(2026, 1, 19, 10)) == timedelta(0)
    assert business_time_between(office, MONDAY_9, MONDAY_9) == timedelta(0)


def test_open_intervals_are_cut_at_the_bounds_and_in_utc():
    got = list(office.open_intervals(utc(2026, 1, 16, 12), utc(2026, 1, 19, 10, 30)))
    assert got == [
        (utc(2026, 1, 16, 12, 0), utc(2026, 1, 16, 17, 0)),
        (utc(2026, 1, 19, 9, 0), utc(2026, 1, 19, 10, 30)),
    ]
    assert all(a.tzinfo is UTC and b.tzinfo is UTC for a, b in got)
    assert list(office.open_intervals(utc(2026, 1, 19, 12), utc(2026, 1, 19, 12))) == []


def test_is_open_is_half_open():
    assert office.is_open(utc(2026, 1, 19, 9, 0))
    assert office.is_open(datetime(2026, 1, 19, 16, 59, 59, 999_999, tzinfo=UTC))
    assert not office.is_open(utc(2026, 1, 19, 17, 0))
    assert not office.is_open(datetime(2026, 1, 19, 8, 59, 59, 999_999, tzinfo=UTC))


# --- the Calendar value and its input ---------------------------------------------------------


def test_a_calendar_is_a_frozen_hashable_value():
    same = Calendar(
        timezone="Europe/London",
        weekly_hours={
            "fri": [("09:00", "17:00")],
            **{k: [("09:00", "17:00")] for k in DAY_KEYS[:4]},
        },
    )
    assert same == office
    assert hash(same) == hash(office)
    assert len({same, office}) == 1
    assert office.weekly_hours[0] == (("09:00", "17:00"),)
    assert office.weekly_hours[5] == ()  # a missing day is closed
    with pytest.raises(dataclasses.FrozenInstanceError):
        office.timezone = "UTC"
    moved = dataclasses.replace(office, timezone="America/New_York")
    assert moved.timezone == "America/New_York"
    assert moved.weekly_hours == office.weekly_hours
    assert moved != office


def test_intervals_are_sorted_so_their_order_does_not_matter():
    a = Calendar(timezone="UTC", weekly_hours={"mon": [("13:30", "17:00"), ("09:00", "12:30")]})
    b = Calendar(timezone="UTC", weekly_hours={"mon": [["09:00", "12:30"], ["13:30", "17:00"]]})
    assert a == b
    assert a.weekly_hours[0] == (("09:00", "12:30"), ("13:30", "17:00"))


@pytest.mark.parametrize(
    ("hours", "message"),
    [
        ({"monday": [("09:00", "17:00")]}, "unknown day 'monday'"),
        ({"mon": [("9:00", "17:00")]}, r"'9:00' is not a time"),
        ({"mon": [("09:00", "25:00")]}, r"'25:00' is not a time"),
        ({"mon": [("09:00", "12:60")]}, r"'12:60' is not a time"),
        (
            {"mon": [("24:00", "24:00")]},
            r"'24:00' is not a time \(\"HH:MM\" from \"00:00\" to \"23:59\"",
        ),
        ({"mon": [("09:00", "24:01")]}, r"'24:01' is not a time"),
        ({"mon": [(900, 1700)]}, "900 is not a time"),
        ({"mon": [("17:00", "09:00")]}, "17:00–09:00 closes before it opens"),
        ({"mon": [("09:00", "09:00")]}, "09:00–09:00 closes before it opens"),
        ({"mon": [("09:00", "12:00"), ("11:00", "13:00")]}, "09:00–12:00 and 11:00–13:00 overlap"),
        ({"mon": [("09:00",)]}, r"\(opens, closes\)"),
        ({"mon": "09:00-17:00"}, r"a list of \(opens, closes\)"),
        ({}, "never open"),
        ({"mon": [], "sun": []}, "never open"),
        ("mon 09:00-17:00", "a mapping of mon"),
    ],
)
def test_bad_weekly_hours_are_refused_naming_what_is_wrong(hours, message):
    with pytest.raises(ValueError, match=message):
        Calendar(timezone="Europe/London", weekly_hours=hours)


@pytest.mark.parametrize("name", ["Mars/Olympus_Mons", "", "../../etc/passwd", "europe/london "])
def test_an_unknown_time_zone_is_refused(name):
    with pytest.raises(ValueError, match="time zone"):
        Calendar(timezone=name, weekly_hours=OFFICE)


def test_holidays_are_whole_dates():
    with pytest.raises(ValueError, match="holidays are whole dates"):
        Calendar(timezone="UTC", weekly_hours=OFFICE, holidays=[utc(2026, 12, 25)])
    with pytest.raises(ValueError, match="holidays are whole dates"):
        Calendar(timezone="UTC", weekly_hours=OFFICE, holidays=["2026-12-25"])


def test_naive_instants_and_bad_budgets_are_refused():
    naive = datetime(2026, 1, 19, 9, 0)  # noqa: DTZ001
    with pytest.raises(ValueError, match="start must be an aware datetime"):
        add_business_minutes(office, naive, 60)
    with pytest.raises(ValueError, match="end must be an aware datetime"):
        business_time_between(office, MONDAY_9, naive)
    with pytest.raises(ValueError, match="instant must be an aware datetime"):
        office.is_open(naive)
    with pytest.raises(ValueError, match="must not be negative"):
        add_business_minutes(office, MONDAY_9, -1)
    with pytest.raises(ValueError, match="must not be negative"):
        add_business_time(office, MONDAY_9, timedelta(seconds=-1))
    with pytest.raises(TypeError, match="minutes must be an int"):
        add_business_minutes(office, MONDAY_9, 1.5)
    with pytest.raises(TypeError, match="minutes must be an int"):
        add_business_minutes(office, MONDAY_9, True)
    with pytest.raises(TypeError, match="start must be a datetime"):
        add_business_minutes(office, date(2026, 1, 19), 60)
