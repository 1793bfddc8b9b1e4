"""The spike test: is a root cause's volume today far above its own trailing baseline?

Pure functions over daily counts (no database, no clock); apps/rootcauses/services.py feeds
them `selectors.daily_counts` and records what fires. docs/architecture.md ("Spikes")
says the same in prose.

The test, for one root cause on one day
---------------------------------------
- *Baseline*: the cause's case counts on the BASELINE_DAYS (28) whole days before the day,
  oldest first: four whole weeks, so every weekday is in it four times. B is their sum.
- *Day-of-week adjustment*: the day's weekday carries a share of the week's cases,
  estimated from the baseline's four days of that weekday (S_w of B) and pulled toward an
  even week by WEEKDAY_PRIOR_CASES pseudo-cases per weekday (four days are a noisy sample):
  ``share = (S_w + k) / (B + 7k)``; the day's factor against an average day is
  ``f = 7 × share`` (a cause busy every Monday has f ≈ 3 on Mondays, < 1 on other days).
- *Floor*: a baseline of fewer than BASELINE_FLOOR_CASES cases (half a case a day) is read
  as that many, so a cause with no history does not make one case a spike.
- *Expected*: ``expected = B / 28 × f`` — the trailing 28-day mean times the weekday factor.
- *p-value*: the day's count X against the baseline by the exact conditional test of two
  Poisson rates. Under "nothing changed", X ~ Poisson(λf) and B ~ Poisson(28λ), so given
  X + B = n, X ~ Binomial(n, f / (f + 28)); ``p = P(Binomial(n, f/(f+28)) ≥ X)``
  (scipy.stats.binom.sf). Unlike a Poisson tail at a plug-in mean, this counts the
  baseline's own noise (28 days of 2 a day do not prove the rate is exactly 2): on
  simulated steady noise the plug-in tail fired 1.3 to 4 times as often
  (bench/spike_noise.py; figures in docs/architecture.md, "Spikes").
- *Decision*: a spike when ``X ≥ min_cases`` and ``p < alpha``. The caller divides the
  significance level by the number of causes it tests in one run (Bonferroni), so
  CXDESK_SPIKE_P_VALUE is the chance that a day brings a false alarm anywhere in the
  taxonomy, not per cause.

A day's count so far may be tested against the whole day's expected count many times a
day: the count only grows during the day and the baseline does not change, so the day
fires at some run exactly when its whole count would — testing often makes a spike
known earlier, never a false alarm more likely.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from scipy import stats  # type: ignore[import-untyped]

BASELINE_DAYS = 28
DAYS_A_WEEK = 7
WEEKDAY_PRIOR_CASES = 4.0  # pseudo-cases per weekday pulling the weekday shares toward 1/7
BASELINE_FLOOR_CASES = 14  # a baseline is read as at least this many cases (0.5 a day)

assert BASELINE_DAYS % DAYS_A_WEEK == 0  # whole weeks: the weekday factors average to 1


@dataclass(frozen=True)
class SpikeTest:
    observed: int
    expected: float
    p_value: float
    is_spike: bool


def weekday_factor(baseline: Sequence[int]) -> float:
    """The day's volume against an average day, from the baseline's days of its weekday
    (those 7, 14, 21 and 28 days before it), shrunk toward 1."""
    _check(baseline)
    total = sum(baseline)
    same_weekday = sum(baseline[i] for i in range(len(baseline)) if (len(baseline) - i) % 7 == 0)
    share = (same_weekday + WEEKDAY_PRIOR_CASES) / (total + DAYS_A_WEEK * WEEKDAY_PRIOR_CASES)
    return DAYS_A_WEEK * share


def expected_count(baseline: Sequence[int]) -> float:
    """The day's expected count: the baseline's daily mean (floored) × the weekday factor."""
    _check(baseline)
    return max(sum(baseline), BASELINE_FLOOR_CASES) / BASELINE_DAYS * weekday_factor(baseline)


def spike_test(
    baseline: Sequence[int], observed: int, *, min_cases: int, alpha: float
) -> SpikeTest:
    """Test one day's count `observed` against the `baseline` (the BASELINE_DAYS counts
    before it, oldest first) at significance `alpha` (already corrected for the number of
    causes tested)."""
    _check(baseline)
    if observed < 0:
        raise ValueError("a count cannot be negative")
    factor = weekday_factor(baseline)
    reference = max(sum(baseline), BASELINE_FLOOR_CASES)
    expected = reference / BASELINE_DAYS * factor
    if observed == 0:
        p_value = 1.0
    else:
        share = factor / (factor + BASELINE_DAYS)
        p_value = float(stats.binom.sf(observed - 1, observed + reference, share))
    return SpikeTest(
        observed=observed,
        expected=expected,
        p_value=p_value,
        is_spike=observed >= min_cases and p_value < alpha,
    )


def corrected_alpha(alpha: float, tests: int) -> float:
    """Bonferroni: each of `tests` causes tested at alpha / tests, so the chance of any
    false alarm in one run is at most alpha."""
    return alpha / max(tests, 1)


def _check(baseline: Sequence[int]) -> None:
    if len(baseline) != BASELINE_DAYS:
        raise ValueError(f"the baseline is {BASELINE_DAYS} daily counts, not {len(baseline)}")
    if any(count < 0 for count in baseline):
        raise ValueError("a count cannot be negative")
