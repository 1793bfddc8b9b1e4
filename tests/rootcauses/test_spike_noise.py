"""The spike test stays quiet on a steady baseline: Poisson noise around a constant mean,
simulated day by day over a year (seeded), never fires at the default level."""

import numpy as np
import pytest

from apps.rootcauses import spikes

ALPHA = 1e-4  # the default CXDESK_SPIKE_P_VALUE, one root cause tested
MIN_CASES = 5


def false_alarms(series) -> int:
    days = spikes.BASELINE_DAYS
    return sum(
        spikes.spike_test(
            [int(c) for c in series[day - days : day]],
            int(series[day]),
            min_cases=MIN_CASES,
            alpha=ALPHA,
        ).is_spike
        for day in range(days, len(series))
    )


@pytest.mark.parametrize("mean", [2, 0.5, 20])
def test_a_year_of_poisson_noise_raises_no_alarm(mean):
    """365 days tested (after the first 28 days of baseline), the same mean every day."""
    rng = np.random.default_rng(11)
    series = rng.poisson(mean, spikes.BASELINE_DAYS + 365)

    assert false_alarms(series) == 0


def test_the_false_alarm_rate_over_twenty_noisy_years_stays_near_the_level():
    """20 seeded years of noise around 2 a day: the level (1e-4 a day) promises 0.04 false
    alarms a year for an exactly known mean; the baseline's own noise may add a little,
    never a false alarm a year."""
    rng = np.random.default_rng(2026)
    alarms = sum(false_alarms(rng.poisson(2, spikes.BASELINE_DAYS + 365)) for _ in range(20))

    assert alarms / 20 < 0.25
