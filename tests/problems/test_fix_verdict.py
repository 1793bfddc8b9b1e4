"""The fix verdict on hand-built counts: rates, the exact test of two Poisson rates, the
rate ratio's exact interval and the words — each expected value computed here by hand
(binomial sums with math.comb and a bisection), not by the code under test."""

import math

import pytest

from apps.problems.verdict import NOT_ENOUGH, fix_verdict


def binom_pmf(k, n, p):
    return math.comb(n, k) * p**k * (1 - p) ** (n - k)


def two_sided_p(x, n, p):
    """Sum of the outcomes no more likely than the one observed (the exact binomial test)."""
    observed = binom_pmf(x, n, p)
    return min(
        1.0,
        sum(
            binom_pmf(k, n, p) for k in range(n + 1) if binom_pmf(k, n, p) <= observed * (1 + 1e-7)
        ),
    )


def bisect(f, lo=0.0, hi=1.0):
    for _ in range(200):
        mid = (lo + hi) / 2
        if f(mid):
            hi = mid
        else:
            lo = mid
    return (lo + hi) / 2


def clopper_pearson(x, n, alpha=0.05):
    """π_lo: P(X ≥ x | π_lo) = α/2; π_hi: P(X ≤ x | π_hi) = α/2."""
    low = (
        0.0
        if x == 0
        else bisect(lambda p: sum(binom_pmf(k, n, p) for k in range(x, n + 1)) >= alpha / 2)
    )
    high = (
        1.0
        if x == n
        else bisect(lambda p: sum(binom_pmf(k, n, p) for k in range(x + 1)) <= alpha / 2)
    )
    return low, high


def test_two_a_day_falling_to_half_a_day_is_down_75_percent():
    v = fix_verdict(
        before_cases=56,
        after_cases=14,
        before_days=28,
        after_days=28,
        before_total=2800,
        after_total=2800,
    )
    assert v.before_per_day == 2.0
    assert v.after_per_day == 0.5
    assert v.before_per_1000 == 20.0
    assert v.after_per_1000 == 5.0
    assert v.rate_ratio == pytest.approx(0.25)
    # n = 70 and equal days: under "no change" the after-count is Binomial(70, 1/2).
    assert v.p_value == pytest.approx(two_sided_p(14, 70, 0.5), rel=1e-9)
    assert v.p_value < 0.001
    low, high = clopper_pearson(14, 70)
    assert v.ratio_low == pytest.approx(low / (1 - low), rel=1e-6)
    assert v.ratio_high == pytest.approx(high / (1 - high), rel=1e-6)
    assert v.ratio_low < 0.25 < v.ratio_high < 1
    assert v.text == "complaints down 75 %, p < 0.001"


def test_the_example_of_the_brief_down_72_percent():
    # 50 in 28 days before, 14 in 28 days after: RR = 0.28.
    v = fix_verdict(before_cases=50, after_cases=14, before_days=28, after_days=28)
    assert v.rate_ratio == pytest.approx(0.28)
    assert v.text == "complaints down 72 %, p < 0.001"
    assert v.before_per_1000 is None  # no totals given: no rate per 1,000


def test_a_rise_gives_its_percent_and_its_p_value():
    v = fix_verdict(before_cases=10, after_cases=30, before_days=28, after_days=28)
    p = two_sided_p(30, 40, 0.5)  # 0.00222…
    assert v.p_value == pytest.approx(p, rel=1e-9)
    assert v.rate_ratio == pytest.approx(3.0)
    assert v.text == f"complaints up 200 %, p = {p:.3f}"
    assert v.text == "complaints up 200 %, p = 0.002"


def test_unequal_windows_are_compared_per_day():
    # A fix 7 days ago: 7 days after against 28 before, the same rate of one a day.
    v = fix_verdict(before_cases=28, after_cases=7, before_days=28, after_days=7)
    assert v.before_per_day == v.after_per_day == 1.0
    assert v.rate_ratio == pytest.approx(1.0)
    # The after-count is Binomial(35, 7/35) under "no change".
    assert v.p_value == pytest.approx(two_sided_p(7, 35, 0.2), rel=1e-9)
    assert v.text == NOT_ENOUGH
    low, high = clopper_pearson(7, 35)
    assert v.ratio_low == pytest.approx(low / (1 - low) * 28 / 7, rel=1e-6)
    assert v.ratio_high == pytest.approx(high / (1 - high) * 28 / 7, rel=1e-6)


def test_few_cases_are_not_enough_evidence_even_when_the_rate_fell():
    v = fix_verdict(before_cases=3, after_cases=1, before_days=28, after_days=14)
    assert v.rate_ratio == pytest.approx((1 / 14) / (3 / 28))
    assert v.p_value == pytest.approx(two_sided_p(1, 4, 14 / 42), rel=1e-9)
    assert v.p_value > 0.05
    assert v.text == NOT_ENOUGH


def test_no_day_after_the_fix_yet_is_not_enough_evidence():
    v = fix_verdict(before_cases=56, after_cases=0, before_days=28, after_days=0)
    assert v.p_value is None
    assert v.rate_ratio is None
    assert v.after_per_day is None
    assert v.text == NOT_ENOUGH


def test_no_case_at_all_is_not_enough_evidence():
    v = fix_verdict(before_cases=0, after_cases=0, before_days=28, after_days=28)
    assert v.text == NOT_ENOUGH
    assert v.p_value is None


def test_cases_only_after_the_fix_are_complaints_up_from_none():
    v = fix_verdict(before_cases=0, after_cases=12, before_days=28, after_days=28)
    assert math.isinf(v.rate_ratio)
    assert math.isinf(v.ratio_high)
    assert v.p_value == pytest.approx(2 * 0.5**12, rel=1e-9)
    assert v.text == "complaints up from none before the fix, p < 0.001"
    assert v.change_percent is None


def test_all_gone_after_the_fix_is_down_100_percent():
    v = fix_verdict(before_cases=20, after_cases=0, before_days=28, after_days=28)
    assert v.rate_ratio == 0.0
    assert v.ratio_low == 0.0
    assert v.p_value == pytest.approx(2 * 0.5**20, rel=1e-9)
    assert v.text == "complaints down 100 %, p < 0.001"


def test_negative_counts_are_refused():
    with pytest.raises(ValueError, match="after_cases"):
        fix_verdict(before_cases=1, after_cases=-1, before_days=28, after_days=28)
