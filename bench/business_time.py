"""Benchmark: one business-time calculation (apps.sla.business_time), in-process, no Django.

    .venv/bin/python bench/business_time.py [--calls 2000]

Times single calls with time.perf_counter and prints the median and p95 per call, in
microseconds, for a few shapes of calendar and budget (start: a Friday 16:00 in London):

- office_30d: Mon–Fri 09:00–17:00, a budget of 30 business days (14,400 minutes);
- always_open_30d: 24/7, 43,200 minutes (30 calendar days, across no DST change);
- office_30d_50_pauses: office_30d with 50 one-hour pauses, unsorted, over the period;
- office_30d_country_holidays: office_30d with GB-ENG bank holidays from the holidays package,
  over Easter (two bank holidays inside the budget);
- between_office_42d: business_time_between over 42 calendar days of office hours.

Each shape runs twice: *warm* reuses one Calendar (its per-day cache filled by the first
call); *cold* builds a new, equal Calendar before each call (outside the timing), so every
UTC day is computed again — what a caller that builds a Calendar per task pays. The process
caches (zone offsets per UTC day, country holidays per year) are warm in both.
"""

import argparse
import json
import random
import statistics
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from apps.sla.business_time import (  # noqa: E402
    DAY_KEYS,
    Calendar,
    add_business_minutes,
    business_time_between,
)

LONDON = ZoneInfo("Europe/London")
OFFICE = {key: [("09:00", "17:00")] for key in DAY_KEYS[:5]}
ALWAYS = {key: [("00:00", "24:00")] for key in DAY_KEYS}
START = datetime(2026, 1, 16, 16, 0, tzinfo=LONDON)  # a Friday
EASTER = datetime(2026, 3, 20, 16, 0, tzinfo=LONDON)  # a Friday; Easter 2026 is 5 April


def _pauses() -> list[tuple[datetime, datetime | None]]:
    rng = random.Random(9)
    pauses: list[tuple[datetime, datetime | None]] = []
    for _ in range(50):
        begins = START + timedelta(minutes=rng.randrange(0, 42 * 24 * 60))
        pauses.append((begins, begins + timedelta(hours=1)))
    return pauses


def _shapes() -> dict[str, tuple[dict[str, object], object]]:
    pauses = _pauses()
    return {
        "office_30d": (
            {"timezone": "Europe/London", "weekly_hours": OFFICE},
            lambda c: add_business_minutes(c, START, 14_400),
        ),
        "always_open_30d": (
            {"timezone": "Europe/London", "weekly_hours": ALWAYS},
            lambda c: add_business_minutes(c, START, 43_200),
        ),
        "office_30d_50_pauses": (
            {"timezone": "Europe/London", "weekly_hours": OFFICE},
            lambda c: add_business_minutes(c, START, 14_400, pauses),
        ),
        "office_30d_country_holidays": (
            {
                "timezone": "Europe/London",
                "weekly_hours": OFFICE,
                "holiday_country": "GB",
                "holiday_subdivision": "ENG",
            },
            lambda c: add_business_minutes(c, EASTER, 14_400),
        ),
        "between_office_42d": (
            {"timezone": "Europe/London", "weekly_hours": OFFICE},
            lambda c: business_time_between(c, START, START + timedelta(days=42)),
        ),
    }


def _figures(seconds: list[float]) -> dict[str, float]:
    ordered = sorted(seconds)
    return {
        "median_us": round(statistics.median(ordered) * 1e6, 1),
        "p95_us": round(ordered[int(len(ordered) * 0.95)] * 1e6, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000)
    args = parser.parse_args()
    result: dict[str, object] = {"benchmark": "business_time", "calls_per_shape": args.calls}
    for name, (options, call) in _shapes().items():
        calendar = Calendar(**options)
        for _ in range(200):  # warm: the calendar's days, the zone's offsets, imports
            call(calendar)
        warm = []
        for _ in range(args.calls):
            started = time.perf_counter()
            call(calendar)
            warm.append(time.perf_counter() - started)
        cold = []
        for _ in range(args.calls):
            fresh = Calendar(**options)
            started = time.perf_counter()
            call(fresh)
            cold.append(time.perf_counter() - started)
        result[name] = {"warm": _figures(warm), "cold": _figures(cold)}
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
