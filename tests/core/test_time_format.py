"""apps/core/times.py formats dates itself (a queue page shows a hundred of them): its text
must be django.utils.dateformat's, which it replaced, in every zone and language — around
DST changes too, where dateformat leaves the zone's name out of an ambiguous wall time."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import dateformat, timezone, translation

from apps.core import times

ZONES = [UTC, ZoneInfo("Europe/Berlin"), ZoneInfo("America/New_York"), ZoneInfo("Asia/Kolkata")]
NOW = datetime(2026, 11, 1, 5, 30, tzinfo=UTC)  # 01:30 EDT: New York's clocks go back at 06:00
MOMENTS = [
    NOW + offset
    for offset in (
        timedelta(0),
        timedelta(minutes=-30),  # 01:00 EDT, ambiguous wall time in New York
        timedelta(minutes=45),  # 01:15 EST, the repeated hour
        timedelta(hours=-5, minutes=-59),
        timedelta(days=-1, hours=-3),
        timedelta(days=-3),
        timedelta(days=-400),
        timedelta(days=1, hours=4),
        timedelta(days=40),
        timedelta(days=400),
        # 29 March 2026 01:30 UTC: 03:30 in Berlin, just after the 02:00 → 03:00 gap.
        datetime(2026, 3, 29, 1, 30, tzinfo=UTC) - NOW,
    )
]


def old_day(local, today):
    return dateformat.format(local, "j M" if local.year == today.year else "j M Y")


@pytest.mark.parametrize("zone", ZONES, ids=str)
@pytest.mark.parametrize("language", ["en-us", "de", "fr"])
def test_absolute_and_day_text_are_dateformats(zone, language):
    with timezone.override(zone), translation.override(language):
        today = timezone.localtime(NOW).date()
        for moment in MOMENTS:
            local = timezone.localtime(moment)
            assert times.absolute_text(moment) == dateformat.format(local, "D j M Y, H:i T")
            assert times._day(local, today, times._names()[1]) == old_day(local, today)


def test_an_ambiguous_wall_time_has_no_zone_name_as_in_dateformat():
    new_york = ZoneInfo("America/New_York")
    ambiguous = datetime(2026, 11, 1, 1, 30, tzinfo=new_york)
    with timezone.override(new_york):
        assert times.absolute_text(ambiguous) == "Sun 1 Nov 2026, 01:30 "
    assert dateformat.format(ambiguous, "D j M Y, H:i T").endswith("01:30 ")


def test_time_element_reads_the_pages_moment():
    with timezone.override(ZoneInfo("Europe/Berlin")), time_machine.travel(NOW, tick=False):
        element = times.time_element(NOW - timedelta(minutes=12))
        same = times.time_element(NOW - timedelta(minutes=12), now=NOW + timedelta(hours=1))
    assert element == (
        '<time datetime="2026-11-01T05:18:00+00:00" title="Sun 1 Nov 2026, 06:18 CET" '
        'data-when="past">12 min ago</time>'
    )
    assert ">1 h ago</time>" in same
