"""SLA reads: a case's clocks and their events, as the API and the case page show them."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch

from apps.cases.models import Case

from .models import SlaClock, SlaClockEvent, SlaPolicy
from .services import clock_data


def case_sla_state(case: Case) -> dict[str, Any]:
    """The policy, the clocks (each with its events) and the next breach of one case
    (2 queries, or 3 with a policy)."""
    clocks = list(
        SlaClock.objects.filter(case=case)
        .prefetch_related(Prefetch("events", queryset=SlaClockEvent.objects.order_by("at", "id")))
        .order_by("started_at", "metric", "instance")
    )
    policy_id = next((c.policy_id for c in clocks if c.policy_id), None)
    policy = SlaPolicy.objects.filter(pk=policy_id).first() if policy_id else None
    return {
        "case": case.pk,
        "policy": {"id": policy.pk, "name": policy.name} if policy else None,
        "next_breach_at": case.next_breach_at,
        "clocks": [
            {
                **clock_data(clock),
                "events": [
                    {"kind": e.kind, "at": e.at, "detail": e.detail} for e in clock.events.all()
                ],
            }
            for clock in clocks
        ],
    }
