"""The at-risk score of a customer: transparent signals, each worth documented points that
fade with age. Pure: `score(signals, now)` is the whole formula.

    points(signal) = WEIGHT[kind] × 0.5 ^ (age_days / HALF_LIFE_DAYS[kind])

rounded to one decimal; the score is the sum of its reasons' points, so the reasons a
supervisor reads always add up to the score. A signal older than LOOKBACK_DAYS counts
nothing. The kinds:

| kind              | weight | half-life | one per                                             |
|-------------------|--------|-----------|-----------------------------------------------------|
| bad_rating        | 40     | 30 days   | bad CSAT or NPS detractor (0–6) answer (answered_at)|
| repeat_contact    | 15     | 30 days   | solved case not FCR because they came back (solve)  |
| reopened          | 10     | 30 days   | time a case of theirs was reopened                  |
| sla_breach        | 8      | 14 days   | SLA target breached on a case of theirs             |
| waiting           | 3/day  | none      | open case waiting past 2 days (≤ 30 a case; "now")  |

A customer is "at risk" from settings.CXDESK_RISK_THRESHOLD points (30: one recent bad
rating, or a reopen and two breaches this week). To change a weight or a half-life, change
the tables below (and this docstring); the next recompute (beat, hourly) applies it.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

WEIGHT = {
    "bad_rating": 40.0,
    "repeat_contact": 15.0,
    "reopened": 10.0,
    "sla_breach": 8.0,
}
HALF_LIFE_DAYS = {
    "bad_rating": 30.0,
    "repeat_contact": 30.0,
    "reopened": 30.0,
    "sla_breach": 14.0,
}
WAITING_GRACE = timedelta(days=2)
WAITING_PER_DAY = 3.0
WAITING_CAP = 30.0
LOOKBACK_DAYS = 180

LABELS = {
    "bad_rating": "rated the service bad",
    "repeat_contact": "had to contact us again about a solved problem",
    "reopened": "a case was reopened",
    "sla_breach": "an SLA target was breached on their case",
    "waiting": "an open case has been waiting",
}


@dataclass(frozen=True)
class Signal:
    kind: str
    at: datetime  # when it happened (for "waiting": when the case was opened)
    case_id: int | None = None
    reference: str = ""


def points(signal: Signal, now: datetime) -> float:
    age = now - signal.at
    if signal.kind == "waiting":
        days = max(0.0, (age - WAITING_GRACE).total_seconds() / 86400)
        return round(min(WAITING_CAP, WAITING_PER_DAY * days), 1)
    if age > timedelta(days=LOOKBACK_DAYS):
        return 0.0
    days = max(0.0, age.total_seconds() / 86400)
    return round(WEIGHT[signal.kind] * 0.5 ** (days / HALF_LIFE_DAYS[signal.kind]), 1)


def score(signals: Iterable[Signal], now: datetime) -> tuple[float, list[dict[str, Any]]]:
    """The score and its reasons (biggest first), each {kind, label, points, at, case,
    reference}; reasons worth nothing are left out. sum(points) == score, exactly."""
    reasons: list[dict[str, Any]] = []
    for signal in signals:
        value = points(signal, now)
        if value <= 0:
            continue
        reasons.append(
            {
                "kind": signal.kind,
                "label": LABELS[signal.kind],
                "points": value,
                "at": signal.at.isoformat(),
                "case": signal.case_id,
                "reference": signal.reference,
            }
        )
    reasons.sort(key=lambda r: (-float(r["points"]), str(r["at"])))
    total = round(sum(float(r["points"]) for r in reasons), 1)
    return total, reasons
