"""The volume rollups equal a direct count of the cases at all times: after any sequence of
openings, team, channel and priority changes, solves, reopens, handle time, merges, deletes
and builds, over periods on and off day boundaries, grouped and filtered as the reports ask.
The changes are those of the root-cause rollups' property test (tests/rootcauses), plus
priority; a build here builds the volume rollups."""

import contextlib
from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apps.cases import services as case_services
from apps.cases.models import Case
from apps.console import rollups
from apps.console.models import VolumeRollupCell, VolumeRollupMark
from apps.core.errors import DomainError
from tests.rootcauses import test_rollups_exact as rc

pytestmark = pytest.mark.django_db

START = rc.START
world = rc.world  # the fixture: teams, root causes, contacts, an admin

ops = st.one_of(
    rc.ops,
    st.tuples(st.just("priority"), rc.case_ref, st.sampled_from(["low", "normal", "urgent"])),
)


def direct(start, end, by=(), **filters):
    """The figures counted straight from the cases and their metrics, grouped by `by`."""
    zone = timezone.get_default_timezone()
    figures: dict[tuple, dict] = {}
    rows = Case.objects.values(
        "team_id",
        "channel",
        "priority",
        "created_at",
        "merged_into_id",
        "reopen_count",
        "metrics__handle_seconds",
    )
    for r in rows:
        if r["merged_into_id"] is not None or not start <= r["created_at"] < end:
            continue
        if any(r[k] != v for k, v in filters.items()):
            continue
        r["day"] = r["created_at"].astimezone(zone).date()
        f = figures.setdefault(tuple(r[k] for k in by), dict.fromkeys(rollups.FIGURES, 0))
        f["cases"] += 1
        f["reopened_cases"] += r["reopen_count"] > 0
        f["reopens"] += r["reopen_count"]
        f["handle_seconds"] += r["metrics__handle_seconds"] or 0
        f["handled_cases"] += (r["metrics__handle_seconds"] or 0) > 0
    return figures


def rolled(start, end, by=(), **filters):
    return rollups.period_figures(rollups.covered_days(start, end), Q(**filters), by=by)


def check(teams):
    now = timezone.now()
    periods = [
        (START - timedelta(days=1), now + timedelta(days=1)),
        (START + timedelta(hours=30), now),
        (START - timedelta(hours=2), now - timedelta(hours=5)),
    ]
    for start, end in periods:
        for by, filters in (
            ((), {}),
            (("day", "channel"), {}),
            (("team_id",), {"priority": "normal"}),
            (("priority",), {"team_id": teams[0].pk}),
        ):
            assert rolled(start, end, by, **filters) == direct(start, end, by, **filters), (
                start,
                end,
                by,
                filters,
            )


def apply(op, world, opened, clock, capture):
    kind, *args = op
    if kind == "build":
        rollups.rollups_build(max_days=None)
    elif kind == "priority":
        if opened and Case.objects.filter(pk=(pk := opened[args[0] % len(opened)])).exists():
            with capture(execute=True):
                case_services.case_set_priority(case_id=pk, priority=args[1], actor=world[3])
    else:
        rc.apply(op, world, opened, clock, capture)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(st.tuples(ops, st.booleans()), min_size=1, max_size=14))
def test_rollups_equal_a_direct_count_after_any_changes(
    world, django_capture_on_commit_callbacks, steps
):
    with transaction.atomic(), time_machine.travel(START, tick=False) as clock:
        opened: list[int] = []
        for op, build_first in steps:
            if build_first:
                rollups.rollups_build(max_days=None)
            with contextlib.suppress(DomainError):
                apply(op, world, opened, clock, django_capture_on_commit_callbacks)
            check(world[0])
        transaction.set_rollback(True)


def test_a_built_day_is_read_from_its_cells_and_a_priority_change_marks_it(world):
    teams, _, contacts, admin = world
    with time_machine.travel(START, tick=False) as clock:
        case = case_services.case_open(
            requester=contacts[0], subject="Hi", channel="chat", team=teams[0], body_text="x"
        ).case
        clock.shift(timedelta(days=2))
        assert rollups.rollups_build(max_days=None)["built"] >= 2
        assert VolumeRollupCell.objects.filter(cases=1, channel="chat").exists()
        day = (START - timedelta(hours=12), START + timedelta(hours=36))
        coverage = rollups.covered_days(*day)
        assert coverage.days
        case_services.case_set_priority(case_id=case.pk, priority="urgent", actor=admin)
        assert VolumeRollupMark.objects.exists()
        assert len(rollups.covered_days(*day).days) < len(coverage.days)
        assert rolled(*day, by=("priority",)) == {("urgent",): rolled(*day)[()]}
        assert rolled(*day, by=("priority",)) == direct(*day, by=("priority",))


def test_the_command_builds_and_rebuilds(world, capsys):
    teams, _, contacts, _ = world
    with time_machine.travel(START, tick=False) as clock:
        case_services.case_open(
            requester=contacts[0], subject="Hi", channel="email", team=teams[0], body_text="x"
        )
        clock.shift(timedelta(days=3))
        call_command("console_rollups")
        assert "Built 3 days" in capsys.readouterr().out
        call_command("console_rollups")
        assert "Built 0 days" in capsys.readouterr().out
        call_command("console_rollups", "--rebuild")
        assert "Built 3 days" in capsys.readouterr().out
        assert VolumeRollupCell.objects.get().cases == 1
