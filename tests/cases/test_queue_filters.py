"""The queue's filters (GET parameters): each narrows the view; a bad value is a clear 400."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from apps.cases import services
from apps.cases.models import Case, Channel
from tests.factories import AgentFactory, CaseFactory

pytestmark = pytest.mark.django_db
Status, Priority = Case.Status, Case.Priority
NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def _rows(client, **params):
    params.setdefault("view", "all")
    with time_machine.travel(NOW, tick=False):
        response = client.get(reverse("home"), params)
    assert response.status_code == 200, response.context["filter"].errors
    return {c.subject for c in response.context["page"].rows}


@pytest.fixture
def signed_in(client, agent):
    client.force_login(agent)
    return client


def test_status_priority_and_channel_take_several_values(signed_in, team):
    CaseFactory(
        team=team, subject="a", status=Status.OPEN, priority=Priority.HIGH, channel=Channel.EMAIL
    )
    CaseFactory(
        team=team, subject="b", status=Status.PENDING, priority=Priority.LOW, channel=Channel.CHAT
    )
    CaseFactory(
        team=team,
        subject="c",
        status=Status.SOLVED,
        priority=Priority.URGENT,
        channel=Channel.PHONE,
    )
    assert _rows(signed_in, status=["open", "pending"]) == {"a", "b"}
    assert _rows(signed_in, priority=["urgent", "high"]) == {"a", "c"}
    assert _rows(signed_in, channel="chat") == {"b"}
    assert _rows(signed_in, status="open", channel="chat") == set()


def test_team_and_assignee_including_unassigned_and_me(signed_in, agent, team, other_team):
    colleague = AgentFactory(teams=[team, other_team], first_name="Cleo")
    agent.teams.add(other_team)
    CaseFactory(team=team, subject="mine", assignee=agent)
    CaseFactory(team=team, subject="cleo's", assignee=colleague)
    CaseFactory(team=other_team, subject="nobody's")
    assert _rows(signed_in, team=str(other_team.pk)) == {"nobody's"}
    assert _rows(signed_in, assignee="none") == {"nobody's"}
    assert _rows(signed_in, assignee="me") == {"mine"}
    assert _rows(signed_in, assignee=str(colleague.pk)) == {"cleo's"}


def test_tag(signed_in, agent, team):
    tagged = CaseFactory(team=team, subject="tagged")
    CaseFactory(team=team, subject="plain")
    services.case_set_tags(case_id=tagged.pk, tags=["Refund"], actor=agent)
    assert _rows(signed_in, tag="refund") == {"tagged"}
    assert _rows(signed_in, tag="unknown") == set()


def test_created_and_updated_ranges_are_whole_days(signed_in, team):
    old = CaseFactory(team=team, subject="old", created_at=NOW - timedelta(days=10))
    CaseFactory(team=team, subject="new", created_at=NOW - timedelta(hours=1))
    Case.objects.filter(pk=old.pk).update(updated_at=NOW - timedelta(days=9))
    day = (NOW - timedelta(days=10)).date().isoformat()
    assert _rows(signed_in, created_from=day, created_to=day) == {"old"}
    assert _rows(signed_in, created_from=NOW.date().isoformat()) == {"new"}
    assert _rows(signed_in, updated_to=(NOW - timedelta(days=5)).date().isoformat()) == {"old"}
    assert _rows(signed_in, updated_from=(NOW - timedelta(days=5)).date().isoformat()) == {"new"}


def test_sla_state(signed_in, team):
    CaseFactory(team=team, subject="breached", next_breach_at=NOW - timedelta(minutes=1))
    CaseFactory(team=team, subject="at risk", next_breach_at=NOW + timedelta(minutes=59))
    CaseFactory(team=team, subject="on track", next_breach_at=NOW + timedelta(hours=2))
    CaseFactory(team=team, subject="no clock")
    assert _rows(signed_in, sla="breached") == {"breached"}
    assert _rows(signed_in, sla="at_risk") == {"at risk"}
    assert _rows(signed_in, sla="on_track") == {"on track"}
    assert _rows(signed_in, sla="none") == {"no clock"}


@pytest.mark.parametrize(
    ("param", "value", "label"),
    [
        ("status", "lost", "Status"),
        ("priority", "extreme", "Priority"),
        ("channel", "pigeon", "Channel"),
        ("team", "abc", "Team"),
        ("assignee", "99999999", "Assignee"),
        ("created_from", "2026-13-45", "Created from"),
        ("updated_to", "yesterday", "Active to"),
        ("sla", "late", "SLA"),
        ("sort", "random", "Sort by"),
        ("tag", "x" * 65, "Tag"),
    ],
)
def test_a_bad_value_is_a_400_page_naming_the_filter(signed_in, team, param, value, label):
    CaseFactory(team=team, subject="hidden meanwhile")
    response = signed_in.get(reverse("home"), {"view": "all", param: value})
    body = response.content.decode()
    assert response.status_code == 400
    assert "Some filters could not be read" in body
    assert f"<li>{label}: " in body
    assert "hidden meanwhile" not in body
    assert value[:20] in body or param in (
        "status",
        "priority",
        "channel",
        "team",
        "assignee",
        "sla",
        "sort",
    )


def test_another_teams_id_is_not_a_team_an_agent_may_filter_by(signed_in, other_team):
    response = signed_in.get(reverse("home"), {"team": str(other_team.pk)})
    assert response.status_code == 400
