"""The spike test on synthetic series (apps/rootcauses/spikes.py): a real spike fires, once;
the bad inputs are refused."""

import pytest

from apps.rootcauses import spikes

ALPHA = 1e-4  # the default CXDESK_SPIKE_P_VALUE, one root cause tested
MIN_CASES = 5


def fired_days(series: list[int], *, alpha: float = ALPHA) -> list[int]:
    """The days (indexes into `series`) the test fires on, simulated day by day: each day
    against the 28 days before it."""
    days = spikes.BASELINE_DAYS
    return [
        day
        for day in range(days, len(series))
        if spikes.spike_test(
            series[day - days : day], series[day], min_cases=MIN_CASES, alpha=alpha
        ).is_spike
    ]


def test_twenty_cases_after_28_days_of_two_is_a_spike():
    test = spikes.spike_test([2] * 28, 20, min_cases=MIN_CASES, alpha=ALPHA)

    assert test.is_spike
    assert test.observed == 20
    assert test.expected == pytest.approx(2.0)
    assert test.p_value < 1e-9


def test_the_spike_fires_on_its_day_only():
    """2 a day for 28 days, 20 on one day, 2 a day again: one day fires, not the days after
    (whose baseline holds the spike), not the days before."""
    series = [2] * 28 + [20] + [2] * 40

    assert fired_days(series) == [28]


def test_a_steady_count_never_fires():
    assert fired_days([2] * 120) == []
    assert fired_days([40] * 120) == []


def test_the_expected_count_is_the_trailing_mean_on_an_even_week():
    assert spikes.expected_count([3] * 28) == pytest.approx(3.0)
    assert spikes.weekday_factor([3] * 28) == pytest.approx(1.0)


def test_nothing_today_is_never_a_spike():
    test = spikes.spike_test([0] * 28, 0, min_cases=0, alpha=1.0)
    assert (test.p_value, test.is_spike) == (1.0, False)


def test_bonferroni_divides_the_level_by_the_causes_tested():
    assert spikes.corrected_alpha(1e-4, 50) == pytest.approx(2e-6)
    assert spikes.corrected_alpha(1e-4, 0) == 1e-4  # nothing tested: nothing divided


def test_a_moderate_rise_fires_alone_but_not_among_many_causes():
    """10 cases after 28 days of 2 is significant for one cause, not once the level is shared
    by 1,000 causes tested the same day."""
    alone = spikes.spike_test([2] * 28, 12, min_cases=MIN_CASES, alpha=ALPHA)
    among = spikes.spike_test(
        [2] * 28, 12, min_cases=MIN_CASES, alpha=spikes.corrected_alpha(ALPHA, 1000)
    )
    assert alone.is_spike
    assert not among.is_spike


@pytest.mark.parametrize(
    ("baseline", "observed", "message"),
    [
        ([2] * 27, 5, "28 daily counts"),
        ([2] * 29, 5, "28 daily counts"),
        ([2] * 27 + [-1], 5, "negative"),
        ([2] * 28, -1, "negative"),
    ],
)
def test_bad_series_are_refused(baseline, observed, message):
    with pytest.raises(ValueError, match=message):
        spikes.spike_test(baseline, observed, min_cases=MIN_CASES, alpha=ALPHA)
