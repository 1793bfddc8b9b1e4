"""Did the fix work? A root cause's complaint rate before and after a problem's fix date.

Pure functions over counts (no database, no clock); apps/problems/selectors.py counts the
cases and calls `fix_verdict`. docs/architecture.md ("Problems") says the same in prose.

The test
--------
- *Windows*: the W whole days before the fix date (`before_days`), and the whole days
  from the fix date on, at most W (`after_days`: fewer while the fix is recent). W is
  CXDESK_PROBLEM_VERDICT_WINDOW_DAYS (28 by default: four whole weeks, every weekday
  alike in both).
- *Rates*: the root cause's cases per day, x₁ / t₁ before and x₂ / t₂ after; and, to
  read beside them, per 1,000 of all cases in the same window (a slow month for everyone
  is not a fix).
- *p-value*: the exact conditional test of two Poisson rates (as in the spike test,
  apps/rootcauses/spikes.py). Under "the rate did not change", given n = x₁ + x₂ the
  after-count is x₂ ~ Binomial(n, t₂ / (t₁ + t₂)); the two-sided p-value is
  scipy.stats.binomtest's.
- *Rate ratio* RR = (x₂ / t₂) / (x₁ / t₁), with its exact 95 % interval from the
  Clopper–Pearson interval [π_lo, π_hi] of π = x₂ / n (binomtest's
  proportion_ci(method="exact")): RR = π / (1 − π) × t₁ / t₂ is increasing in π, so its
  interval is the image of π's.
- *Verdict*: with p < ALPHA, "complaints down 72 %, p < 0.001" (or up); otherwise, and
  before any day after the fix has passed, "not enough evidence yet".
"""

import math
from dataclasses import dataclass, replace

from scipy import stats  # type: ignore[import-untyped]

ALPHA = 0.05
CONFIDENCE = 0.95
NOT_ENOUGH = "not enough evidence yet"


@dataclass(frozen=True)
class Verdict:
    before_cases: int  # the root cause's cases in the window before the fix date
    after_cases: int
    before_days: int
    after_days: int
    before_total: int  # all cases in the same windows (for the rate per 1,000)
    after_total: int
    before_per_day: float | None
    after_per_day: float | None
    before_per_1000: float | None
    after_per_1000: float | None
    rate_ratio: float | None  # after / before, per day; inf when none before
    ratio_low: float | None
    ratio_high: float | None
    p_value: float | None
    text: str

    @property
    def change_percent(self) -> float | None:
        """(RR − 1) × 100: −72 for "down 72 %"."""
        if self.rate_ratio is None or math.isinf(self.rate_ratio):
            return None
        return (self.rate_ratio - 1) * 100


def _per(count: int, exposure: int, unit: float = 1.0) -> float | None:
    return count / exposure * unit if exposure > 0 else None


def _ratio_from_share(share: float, before_days: int, after_days: int) -> float:
    """RR from π = x₂ / n: π / (1 − π) × t₁ / t₂ (∞ at π = 1)."""
    if share >= 1.0:
        return math.inf
    return share / (1.0 - share) * before_days / after_days


def p_text(p_value: float) -> str:
    return "p < 0.001" if p_value < 0.001 else f"p = {p_value:.3f}"


def verdict_text(*, rate_ratio: float, p_value: float, alpha: float = ALPHA) -> str:
    if p_value >= alpha or rate_ratio == 1.0:
        return NOT_ENOUGH
    if math.isinf(rate_ratio):
        return f"complaints up from none before the fix, {p_text(p_value)}"
    change = round(abs(rate_ratio - 1) * 100)
    direction = "down" if rate_ratio < 1 else "up"
    return f"complaints {direction} {change} %, {p_text(p_value)}"


def fix_verdict(
    *,
    before_cases: int,
    after_cases: int,
    before_days: int,
    after_days: int,
    before_total: int = 0,
    after_total: int = 0,
    alpha: float = ALPHA,
) -> Verdict:
    """The verdict on counts of the root cause's cases (and of all cases) in the windows."""
    for name, value in {
        "before_cases": before_cases,
        "after_cases": after_cases,
        "before_days": before_days,
        "after_days": after_days,
        "before_total": before_total,
        "after_total": after_total,
    }.items():
        if value < 0:
            raise ValueError(f"{name} cannot be negative")
    base = Verdict(
        before_cases=before_cases,
        after_cases=after_cases,
        before_days=before_days,
        after_days=after_days,
        before_total=before_total,
        after_total=after_total,
        before_per_day=_per(before_cases, before_days),
        after_per_day=_per(after_cases, after_days),
        before_per_1000=_per(before_cases, before_total, 1000.0),
        after_per_1000=_per(after_cases, after_total, 1000.0),
        rate_ratio=None,
        ratio_low=None,
        ratio_high=None,
        p_value=None,
        text=NOT_ENOUGH,
    )
    n = before_cases + after_cases
    if before_days == 0 or after_days == 0 or n == 0:
        return base
    share_expected = after_days / (before_days + after_days)
    test = stats.binomtest(after_cases, n, share_expected, alternative="two-sided")
    interval = test.proportion_ci(confidence_level=CONFIDENCE, method="exact")
    ratio = _ratio_from_share(after_cases / n, before_days, after_days)
    p_value = float(test.pvalue)
    return replace(
        base,
        rate_ratio=ratio,
        ratio_low=_ratio_from_share(float(interval.low), before_days, after_days),
        ratio_high=_ratio_from_share(float(interval.high), before_days, after_days),
        p_value=p_value,
        text=verdict_text(rate_ratio=ratio, p_value=p_value, alpha=alpha),
    )
