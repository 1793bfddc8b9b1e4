"""The SLA summary's time figures and attainment equal a direct computation at all times:
after any sequence of openings, customer messages, agent replies, team and channel
changes, solves, reopens, merges, deletes, builds and waits — through the case services,
the recompute storing clocks, metrics and next responses — over periods on and off day
boundaries, filtered as the reports ask (the rollups' histograms, and the rows alone for a
team and a channel). The changes are the root-cause rollups' property test's
(tests/rootcauses), plus messages and replies; a build here builds the SLA rollups. The
direct computation reads the case's current team and channel and the next responses of
the metrics' JSON, not the copies and rows the summary reads."""

import contextlib
from datetime import timedelta

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from apps.cases import services as case_services
from apps.cases.models import Case
from apps.core.errors import DomainError
from apps.sla import rollups
from apps.sla.models import CaseMetrics, SlaClock
from apps.sla.summary import Period, sla_summary
from tests.factories import SlaPolicyFactory
from tests.rootcauses import test_rollups_exact as rc
from tests.sla.test_sla_summary_api import percentile

pytestmark = pytest.mark.django_db

START = rc.START  # a Monday, 09:00 (Europe/London: UTC in November)
world = rc.world  # the fixture: teams, root causes, contacts, an admin

ops = st.one_of(
    rc.ops,
    st.tuples(st.just("reply"), rc.case_ref),
    st.tuples(st.just("message"), rc.case_ref),
    st.tuples(st.just("reply"), rc.case_ref),
)


@pytest.fixture
def sla_world(world):
    """The root-cause test's world under one policy of Mon–Fri 09:00–17:00 (every case)."""
    SlaPolicyFactory(
        targets={
            (priority, metric): 90
            for priority in ("low", "normal", "high", "urgent")
            for metric in ("first_response", "next_response", "resolution")
        }
    )
    return world


def direct(start, end, **filters):
    """The time figures and attainment from the cases (their current team and channel),
    their metrics and clocks, in Python."""
    cases = {
        c.pk: c
        for c in Case.objects.all()
        if all(getattr(c, name) == value for name, value in filters.items())
    }
    metrics = [m for m in CaseMetrics.objects.all() if m.case_id in cases]

    def inside(instant):
        return instant is not None and start <= instant < end

    opened = [m for m in metrics if inside(cases[m.case_id].created_at)]
    solved = [m for m in metrics if inside(m.solved_at)]
    given = [
        r for m in metrics for r in m.next_responses if inside(parse_datetime(r["responded_at"]))
    ]

    def figures(values):
        values = sorted(v for v in values if v is not None)
        return {
            "count": len(values),
            "median": percentile(values, 0.5),
            "p90": percentile(values, 0.9),
        }

    def both(business, calendar):
        return {**figures(business), "calendar": figures(calendar)}

    attainment = {}
    for metric in ("first_response", "next_response", "resolution"):
        states = [
            c.state
            for c in SlaClock.objects.filter(metric=metric)
            if c.case_id in cases and inside(c.started_at)
        ]
        attainment[metric] = (states.count("met"), states.count("breached"))
    return {
        "first_response": both(
            [m.first_response_business_seconds for m in opened],
            [m.first_response_seconds for m in opened],
        ),
        "next_response": both(
            [r["business_seconds"] for r in given], [r["seconds"] for r in given]
        ),
        "resolution": both(
            [m.resolution_business_seconds for m in solved],
            [m.resolution_seconds for m in solved],
        ),
        "attainment": attainment,
    }


def summarised(start, end, *, team_id=None, channel=None):
    summary = sla_summary(period=Period(start, end), team_id=team_id, channel=channel)
    return {
        **{name: summary[name] for name in ("first_response", "next_response", "resolution")},
        "attainment": {a["metric"]: (a["met"], a["breached"]) for a in summary["attainment"]},
    }


def check(teams):
    now = timezone.now()
    periods = [
        (START - timedelta(days=1), now + timedelta(days=1)),  # every case, whole days
        (START + timedelta(hours=30), now),  # edges inside days
        (START - timedelta(hours=2), now - timedelta(hours=5)),
    ]
    for start, end in periods:
        for filters in (
            {},
            {"team_id": teams[0].pk},
            {"channel": "email"},
            {"team_id": teams[1].pk, "channel": "chat"},  # no histogram: the rows
        ):
            assert summarised(start, end, **filters) == direct(start, end, **filters), (
                start,
                end,
                filters,
            )


def apply(op, world, opened, clock, capture):
    teams, _, _, admin = world
    kind, *args = op
    if kind == "build":
        rollups.rollups_build(max_days=None)
    elif kind in ("reply", "message"):
        pk = opened[args[0] % len(opened)] if opened else None
        case = Case.objects.filter(pk=pk).first() if pk else None
        if case is None:
            return
        with capture(execute=True):
            if kind == "reply":
                case_services.case_reply(case_id=case.pk, agent=admin, body_text="On it")
            else:
                case_services.interaction_add(
                    case_id=case.pk,
                    channel=case.channel,
                    direction="in",
                    author_contact=case.requester,
                    body_text="Any news?",
                )
    else:
        rc.apply(op, world, opened, clock, capture)


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(st.tuples(ops, st.booleans()), min_size=1, max_size=14))
@example(  # a next response given on a day since built, then the case moves team and is solved
    steps=[
        (("open", 0, 0, None, "email"), False),
        (("reply", 0), False),
        (("message", 0), False),
        (("wait", 24), False),
        (("reply", 0), True),
        (("wait", 40), True),
        (("team", 0, 1), False),
        (("solve", 0), False),
        (("wait", 40), True),
    ]
)
def test_the_summary_equals_a_direct_computation_after_any_changes(
    sla_world, django_capture_on_commit_callbacks, steps
):
    with transaction.atomic(), time_machine.travel(START, tick=False) as clock:
        opened: list[int] = []
        for op, build_first in steps:
            if build_first:  # days built often, so that later changes hit built days
                rollups.rollups_build(max_days=None)
            with contextlib.suppress(DomainError):
                apply(op, sla_world, opened, clock, django_capture_on_commit_callbacks)
            check(sla_world[0])
        transaction.set_rollback(True)
