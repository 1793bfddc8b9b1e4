"""The minimum count and the floor: a root cause with no history does not fire on a case or
two, and no day under CXDESK_SPIKE_MIN_CASES fires however unlikely it is."""

import pytest

from apps.rootcauses import spikes


@pytest.mark.parametrize("observed", [1, 2])
def test_a_cause_without_history_does_not_fire_on_a_case_or_two(observed):
    """The floor reads an empty baseline as half a case a day: even with no minimum and a
    lax level, one or two cases are not improbable enough."""
    test = spikes.spike_test([0] * 28, observed, min_cases=0, alpha=0.01)

    assert test.expected == pytest.approx(0.5)
    assert not test.is_spike


def test_fewer_cases_than_the_minimum_never_fire():
    below = spikes.spike_test([0] * 28, 4, min_cases=5, alpha=0.01)
    at = spikes.spike_test([0] * 28, 5, min_cases=5, alpha=0.01)

    assert below.p_value < 0.01  # improbable, yet under the minimum
    assert not below.is_spike
    assert at.is_spike


def test_a_lower_minimum_lets_a_small_spike_fire():
    assert not spikes.spike_test([0] * 28, 4, min_cases=5, alpha=0.01).is_spike
    assert spikes.spike_test([0] * 28, 4, min_cases=3, alpha=0.01).is_spike
