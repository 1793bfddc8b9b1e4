"""Business time against a brute-force reference that walks real UTC minutes one by one.

The reference asks of each minute only what the definition says: does the calendar's local
wall clock then read a time inside that weekday's opening hours, is the local date not a
holiday, is the minute outside every pause. It knows nothing of offsets, transitions or
intervals, so daylight saving (London, New York, São Paulo's midnight changes, Lord Howe's
30-minute one, Chatham's +12:45/+13:45), overnight shifts and pauses are all checked against
the same plain rule. Inputs are minute-aligned so that minutes are the reference's unit; the
brute force looks HORIZON ahead, and beyond it only bounds the answer.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from apps.sla.business_time import (
    DAY_KEYS,
    Calendar,
    NoDueInstant,
    add_business_minutes,
    business_time_between,
)

ZONES = [
    "Europe/London",
    "America/New_York",
    "Australia/Lord_Howe",
    "Asia/Kolkata",
    "UTC",
    "America/Sao_Paulo",
    "Pacific/Chatham",
]
MINUTE = timedelta(minutes=1)
HORIZON = timedelta(days=8)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
FIRST, LAST = datetime(2005, 1, 1, tzinfo=UTC), datetime(2032, 1, 1, tzinfo=UTC)
EXAMPLES = settings(max_examples=500, deadline=None)


def _offset_changes(zone: ZoneInfo) -> list[datetime]:
    """Noon (UTC) of each day after which the zone's offset differs, by plain daily look-ups."""
    found, day = [], FIRST + timedelta(hours=12)
    offset = day.astimezone(zone).utcoffset()
    while day < LAST:
        following = (day + timedelta(days=1)).astimezone(zone).utcoffset()
        if following != offset:
            found.append(day)
        day, offset = day + timedelta(days=1), following
    return found


# UTC and Asia/Kolkata have no changes in the range: any day will do for them.
CHANGES = {
    name: _offset_changes(ZoneInfo(name)) or [datetime(2026, 3, 29, 12, tzinfo=UTC)]
    for name in ZONES
}


@dataclass
class Scenario:
    zone: ZoneInfo
    hours: dict[str, list[tuple[str, str]]]
    holidays: list[date]
    start: datetime  # minute-aligned, in a random offset or zone
    pauses: list[tuple[datetime, datetime | None]]

    @property
    def calendar(self) -> Calendar:
        return Calendar(timezone=self.zone.key, weekly_hours=self.hours, holidays=self.holidays)


class Reference:
    """Minute-by-minute answers for one scenario (UTC minutes from its start on)."""

    def __init__(self, scenario: Scenario, pauses: bool = True) -> None:
        self.zone = scenario.zone
        self.holidays = set(scenario.holidays)
        self.pauses = scenario.pauses if pauses else []
        self.open_minutes = [bytearray(1440) for _ in DAY_KEYS]
        for day, key in enumerate(DAY_KEYS):
            for opens, closes in scenario.hours.get(key, []):
                for minute in range(_minutes(opens), _minutes(closes)):
                    self.open_minutes[day][minute] = 1

    def counts(self, minute: datetime) -> bool:
        local = minute.astimezone(self.zone)
        if local.date() in self.holidays:
            return False
        if not self.open_minutes[local.weekday()][local.hour * 60 + local.minute]:
            return False
        return not any(a <= minute and (b is None or minute < b) for a, b in self.pauses)

    def due(self, start: datetime, minutes: int, until: datetime) -> datetime | None:
        """When ``minutes`` open minutes from ``start`` are used up; None: not before until."""
        minute = start.astimezone(UTC)
        while minute < until:
            if self.counts(minute):
                if minutes == 0:
                    return minute
                minutes -= 1
                if minutes == 0:
                    return minute + MINUTE
            minute += MINUTE
        return None

    def between(self, start: datetime, end: datetime) -> timedelta:
        minute, total = start.astimezone(UTC), timedelta(0)
        while minute < end:
            total += MINUTE if self.counts(minute) else timedelta(0)
            minute += MINUTE
        return total


def _minutes(clock: str) -> int:
    return int(clock[:2]) * 60 + int(clock[3:])


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


# Opening boundaries: anywhere, and often at the hours where clocks change, and at midnight.
boundaries = st.one_of(
    st.integers(0, 1440), st.sampled_from([0, 30, 60, 90, 120, 150, 180, 1380, 1410, 1440])
)


@st.composite
def split_day(draw):
    """0–3 intervals of one day, possibly touching none of the others (split shifts)."""
    count = draw(st.integers(0, 3))
    points = sorted(draw(st.sets(boundaries, min_size=2 * count, max_size=2 * count)))
    return [(_clock(a), _clock(b)) for a, b in zip(points[::2], points[1::2], strict=True)]


@st.composite
def overnight_week(draw):
    """Night shifts written the documented way: 22:00–24:00 then 00:00–06:00 the next day."""
    nights = draw(st.lists(st.booleans(), min_size=7, max_size=7).filter(any))
    hours: dict[str, list[tuple[str, str]]] = {key: [] for key in DAY_KEYS}
    for day, night in enumerate(nights):
        if night:
            hours[DAY_KEYS[day]].append(("22:00", "24:00"))
            hours[DAY_KEYS[(day + 1) % 7]].insert(0, ("00:00", "06:00"))
    return hours


weeks = st.one_of(
    st.fixed_dictionaries({key: split_day() for key in DAY_KEYS}),
    st.just({key: [("00:00", "24:00")] for key in DAY_KEYS}),
    st.just({key: [("09:00", "17:00")] for key in DAY_KEYS[:5]}),
    st.just({key: [("09:00", "12:30"), ("13:30", "17:00")] for key in DAY_KEYS[:5]}),
    overnight_week(),
).map(lambda hours: hours if any(hours.values()) else {**hours, "wed": [("10:00", "10:01")]})
# (open at least one minute a week, so that every budget is used up some day)


@st.composite
def scenarios(draw):
    zone = ZoneInfo(draw(st.sampled_from(ZONES)))
    if draw(st.booleans()):  # around an offset change: a few days before to a day after
        change = draw(st.sampled_from(CHANGES[zone.key]))
        start = change + draw(st.integers(-3 * 1440, 1440)) * MINUTE
    else:
        start = EPOCH + draw(st.integers(_epoch_minutes(FIRST), _epoch_minutes(LAST))) * MINUTE
    shown_in = draw(
        st.one_of(
            st.just(UTC),
            st.just(zone),
            st.integers(-14 * 4, 14 * 4).map(lambda q: timezone(q * timedelta(minutes=15))),
        )
    )
    local_day = start.astimezone(zone).date()
    holidays = [local_day + timedelta(days=d) for d in draw(st.sets(st.integers(-1, 9)))]
    pauses = []
    for _ in range(draw(st.integers(0, 4))):
        begins = start + draw(st.integers(-600, 8 * 1440)) * MINUTE
        open_ended = draw(st.integers(0, 9)) == 0
        ends = None if open_ended else begins + draw(st.integers(0, 1500)) * MINUTE
        pauses.append((begins, ends))
    return Scenario(zone, draw(weeks), holidays, start.astimezone(shown_in), pauses)


def _epoch_minutes(instant: datetime) -> int:
    return (instant - EPOCH) // MINUTE


budgets = st.one_of(st.integers(0, 180), st.integers(0, 3 * 1440))


def _open_ended_before(scenario: Scenario, until: datetime) -> bool:
    return any(b is None and a < until for a, b in scenario.pauses)


@EXAMPLES
@given(scenarios(), budgets)
def test_add_business_minutes_equals_the_minute_by_minute_walk(scenario, minutes):
    horizon_end = scenario.start + HORIZON
    expected = Reference(scenario).due(scenario.start, minutes, horizon_end)
    if expected is not None:
        due = add_business_minutes(scenario.calendar, scenario.start, minutes, scenario.pauses)
        assert due == expected
        assert due.tzinfo is UTC
    elif _open_ended_before(scenario, horizon_end):  # nothing counts after it, ever
        with pytest.raises(NoDueInstant):
            add_business_minutes(scenario.calendar, scenario.start, minutes, scenario.pauses)
    else:  # not used up within the horizon: the answer lies beyond it
        try:
            due = add_business_minutes(scenario.calendar, scenario.start, minutes, scenario.pauses)
        except NoDueInstant:
            assert any(b is None for _, b in scenario.pauses)
        else:
            assert due > horizon_end if minutes else due >= horizon_end


@EXAMPLES
@given(scenarios(), st.integers(-120, 8 * 1440))
def test_business_time_between_equals_the_minute_by_minute_count(scenario, length):
    end = scenario.start + length * MINUTE
    expected = Reference(scenario).between(scenario.start, end)
    assert business_time_between(scenario.calendar, scenario.start, end, scenario.pauses) == (
        expected
    )


@EXAMPLES
@given(scenarios())
def test_is_open_and_next_open_equal_the_minute_by_minute_walk(scenario):
    reference = Reference(scenario, pauses=False)
    calendar = scenario.calendar
    assert calendar.is_open(scenario.start) == reference.counts(scenario.start)
    expected = reference.due(scenario.start, 0, scenario.start + HORIZON)
    if expected is not None:
        assert calendar.next_open(scenario.start) == expected
    else:
        assert calendar.next_open(scenario.start) >= scenario.start + HORIZON


@EXAMPLES
@given(scenarios(), st.integers(1, 30 * 1440))
def test_the_time_between_start_and_due_is_the_budget(scenario, minutes):
    calendar, start = scenario.calendar, scenario.start
    try:
        due = add_business_minutes(calendar, start, minutes, scenario.pauses)
    except NoDueInstant:
        return
    assert business_time_between(calendar, start, due, scenario.pauses) == minutes * MINUTE
    # and it is the earliest such instant
    before = due - timedelta(microseconds=1)
    assert business_time_between(calendar, start, before, scenario.pauses) < minutes * MINUTE


@EXAMPLES
@given(scenarios(), st.integers(0, 10 * 1440), st.integers(0, 10 * 1440))
def test_a_bigger_budget_is_never_due_earlier(scenario, m, n):
    smaller, bigger = sorted((m, n))
    calendar, start, pauses = scenario.calendar, scenario.start, scenario.pauses
    try:
        first = add_business_minutes(calendar, start, smaller, pauses)
    except NoDueInstant:  # then the bigger budget has none either
        with pytest.raises(NoDueInstant):
            add_business_minutes(calendar, start, bigger, pauses)
        return
    try:
        second = add_business_minutes(calendar, start, bigger, pauses)
    except NoDueInstant:
        return
    assert first <= second
    assert first >= start
