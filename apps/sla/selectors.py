"""SLA reads: a case's clocks and their events, its metrics, as the API and the case page
show them; the SLA summary's figures are apps/sla/summary.py."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch

from apps.cases.models import Case

from . import metrics
from .models import CaseMetrics, SlaClock, SlaClockEvent, SlaPolicy
from .services import clock_data, fcr_window


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


def case_metrics(case: Case) -> dict[str, Any]:
    """One case's metrics and FCR as the API shows them (1 query). A case not computed yet
    (its recompute is queued) has `computed_at` None and empty figures."""
    row = CaseMetrics.objects.select_related("policy").filter(case_id=case.pk).first()
    if row is None:
        row = CaseMetrics(case_id=case.pk)  # computed_at None: not computed

    def duration(seconds: int | None, business: int | None) -> dict[str, Any] | None:
        return None if seconds is None else {"seconds": seconds, "business_seconds": business}

    window = fcr_window()
    return {
        "case": case.pk,
        "computed_at": row.computed_at,
        "policy": {"id": row.policy.pk, "name": row.policy.name} if row.policy else None,
        "first_response_at": row.first_response_at,
        "first_response": duration(row.first_response_seconds, row.first_response_business_seconds),
        "next_responses": row.next_responses,
        "solved_at": row.solved_at,
        "first_resolution": duration(
            row.first_resolution_seconds, row.first_resolution_business_seconds
        ),
        "resolution": duration(row.resolution_seconds, row.resolution_business_seconds),
        "requester_wait": duration(row.requester_wait_seconds, row.requester_wait_business_seconds),
        "agent_work": duration(row.agent_work_seconds, row.agent_work_business_seconds),
        "on_hold": duration(row.on_hold_seconds, row.on_hold_business_seconds),
        "reopen_count": row.reopen_count,
        "agent_replies": row.agent_replies,
        "agent_responses": row.agent_responses,
        "handle_time": {
            "seconds": row.handle_seconds,
            "call_seconds": row.call_seconds,
            "chat_seconds": row.chat_seconds,
        },
        "fcr": {
            "value": row.fcr,
            "state": row.fcr_state,
            "reason": row.fcr_reason or None,
            "repeat_case": row.fcr_repeat_case_id,
            "final_at": (
                metrics.fcr_final_after(row.solved_at, window)
                if row.solved_at and row.fcr is not None
                else None
            ),
            "window_days": window.days,
        },
        "one_touch": row.one_touch,
        "no_customer_follow_up": row.no_customer_follow_up,
    }
