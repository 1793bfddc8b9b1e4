"""False alarms of the spike test on steady Poisson noise (apps/rootcauses/spikes.py).

    .venv/bin/python bench/spike_noise.py [--years 200] [--alpha 1e-4] [--seed 1]

For each mean, simulates `years` independent years of one root cause whose daily count is
Poisson with that mean (plus 28 days of baseline first), tests every day against the 28
before it as the beat task does, and prints the false alarms per year — with, for
comparison, a Poisson upper tail at the plug-in expected count (what the test would be if
the baseline mean were known exactly). Also the same for a cause busy every Monday.
"""

import argparse
import sys
from pathlib import Path

import numpy as np
from scipy import stats

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from apps.rootcauses import spikes  # noqa: E402  (pure: no Django set-up needed)

DAYS = spikes.BASELINE_DAYS
MIN_CASES = 5


def alarms(series: np.ndarray, alpha: float) -> tuple[int, int]:
    ours = plug_in = 0
    for day in range(DAYS, len(series)):
        observed = int(series[day])
        if observed < MIN_CASES:
            continue
        baseline = [int(c) for c in series[day - DAYS : day]]
        test = spikes.spike_test(baseline, observed, min_cases=MIN_CASES, alpha=alpha)
        ours += test.is_spike
        plug_in += float(stats.poisson.sf(observed - 1, test.expected)) < alpha
    return ours, plug_in


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--years", type=int, default=200)
    parser.add_argument("--alpha", type=float, default=1e-4)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    print(f"alpha {args.alpha:g} (one cause tested), {args.years} years of 365 days each")
    print(f"nominal: {365 * args.alpha:.3f} false alarms a year")
    patterns = {f"mean {m:g} a day": np.full(DAYS + 365, m) for m in (0.5, 2, 5, 20)}
    patterns["10 on Mondays, 1 otherwise"] = np.array(
        [10.0 if d % 7 == 0 else 1.0 for d in range(DAYS + 365)]
    )
    for name, means in patterns.items():
        ours = plug_in = 0
        for _ in range(args.years):
            a, b = alarms(rng.poisson(means), args.alpha)
            ours, plug_in = ours + a, plug_in + b
        print(
            f"{name:28} spike test {ours / args.years:.3f}/year"
            f"   plug-in Poisson tail {plug_in / args.years:.3f}/year"
        )


if __name__ == "__main__":
    main()
