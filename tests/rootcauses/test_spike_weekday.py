"""The day-of-week adjustment: a root cause busy every Monday does not fire on Mondays, but
the same count on a Tuesday does; the same Monday against an even baseline would."""

import numpy as np

from apps.rootcauses import spikes

ALPHA = 1e-4
MIN_CASES = 5
DAYS = spikes.BASELINE_DAYS


def busy_mondays(weeks: int, *, monday: int = 10, other: int = 1) -> list[int]:
    """Day 0 is a Monday: `monday` cases on Mondays, `other` on the other days."""
    return [monday if day % 7 == 0 else other for day in range(7 * weeks)]


def test_a_busy_monday_is_not_a_spike():
    series = busy_mondays(4)  # 28 days; the day tested (day 28) is a Monday

    test = spikes.spike_test(series, 12, min_cases=MIN_CASES, alpha=ALPHA)

    assert spikes.weekday_factor(series) > 3
    assert test.expected > 7
    assert not test.is_spike


def test_a_monday_count_on_a_tuesday_is_a_spike():
    baseline = busy_mondays(5)[1 : 1 + DAYS]  # the 28 days before a Tuesday

    test = spikes.spike_test(baseline, 12, min_cases=MIN_CASES, alpha=ALPHA)

    assert spikes.weekday_factor(baseline) < 1
    assert test.is_spike


def test_the_same_monday_against_an_even_week_would_fire():
    """Same total over the 28 days, spread evenly: without the weekday pattern, 12 is far
    above the mean (the adjustment is what keeps Mondays quiet)."""
    even = [sum(busy_mondays(4)) // DAYS] * DAYS

    assert spikes.spike_test(even, 12, min_cases=MIN_CASES, alpha=ALPHA).is_spike


def test_a_year_of_noisy_busy_mondays_raises_no_alarm():
    rng = np.random.default_rng(7)
    means = np.array(busy_mondays(57)[: DAYS + 365], dtype=float)
    series = [int(c) for c in rng.poisson(means)]

    fired = [
        day
        for day in range(DAYS, len(series))
        if spikes.spike_test(
            series[day - DAYS : day], series[day], min_cases=MIN_CASES, alpha=ALPHA
        ).is_spike
    ]

    assert fired == []
