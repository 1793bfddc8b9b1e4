"""The console's pages and in-place actions: who may open them, what a poll gets back, and
that reassigning or re-prioritising goes through the services (audited) on own teams only."""

from datetime import timedelta

import pytest
from django.urls import reverse

from apps.cases.models import Case, CaseEvent
from tests.factories import AgentFactory, CaseFactory

from .conftest import NOW

pytestmark = pytest.mark.django_db

PAGES = ["console:monitor", "console:wallboard", "console:workload"]


@pytest.fixture
def at_risk(clock, team, agent):
    return CaseFactory(
        team=team,
        assignee=agent,
        status=Case.Status.OPEN,
        subject="Refund still missing",
        next_breach_at=NOW + timedelta(minutes=20),
    )


@pytest.mark.parametrize("name", PAGES)
def test_an_agent_gets_403(client, agent, name):
    client.force_login(agent)
    assert client.get(reverse(name)).status_code == 403


@pytest.mark.parametrize("name", PAGES)
def test_signed_out_goes_to_sign_in_and_a_poll_gets_401(client, name):
    assert client.get(reverse(name)).status_code == 302
    if name != "console:workload":
        assert client.get(reverse(name), headers={"HX-Request": "true"}).status_code == 401


@pytest.mark.parametrize("name", PAGES)
def test_a_supervisor_opens_each_page(client, supervisor, at_risk, name):
    client.force_login(supervisor)
    response = client.get(reverse(name))
    assert response.status_code == 200
    assert at_risk.reference.encode() in response.content or name == "console:workload"


def test_another_teams_id_or_a_bad_one_is_404(client, supervisor, other_team):
    client.force_login(supervisor)
    assert client.get(reverse("console:monitor"), {"team": other_team.pk}).status_code == 404
    assert client.get(reverse("console:monitor"), {"team": "x"}).status_code == 404


def test_the_poll_gets_the_monitor_part_alone(client, supervisor, at_risk):
    client.force_login(supervisor)
    response = client.get(reverse("console:monitor"), headers={"HX-Request": "true"})
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="monitor"')
    assert "<html" not in html
    assert 'hx-trigger="every 5s"' in html
    assert at_risk.reference in html


def test_a_case_appearing_at_risk_shows_on_the_next_poll(client, supervisor, team, clock):
    client.force_login(supervisor)
    before = client.get(reverse("console:monitor"), headers={"HX-Request": "true"})
    assert 'id="total-at-risk">0<' in before.content.decode()
    case = CaseFactory(team=team, status="open", next_breach_at=NOW + timedelta(minutes=10))
    after = client.get(reverse("console:monitor"), headers={"HX-Request": "true"}).content
    assert 'id="total-at-risk">1<' in after.decode()
    assert case.reference in after.decode()


def test_the_reassign_form_in_the_row_and_as_a_page(client, supervisor, team, at_risk, agent):
    bea = AgentFactory(username="bea", first_name="Bea", teams=[team])
    client.force_login(supervisor)
    url = reverse("console:case-assign", args=[at_risk.pk])
    part = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert part.lstrip().startswith("<form")
    assert "data-editing" in part
    assert f'<option value="{bea.pk}">' in part
    assert f'<option value="{agent.pk}" selected>' in part
    page = client.get(url)
    assert page.status_code == 200
    assert f"Reassign {at_risk.reference}" in page.content.decode()


def test_reassign_in_place_is_audited_and_answers_the_refreshed_monitor(
    client, supervisor, team, at_risk, agent
):
    bea = AgentFactory(username="bea", teams=[team])
    client.force_login(supervisor)
    response = client.post(
        reverse("console:case-assign", args=[at_risk.pk]),
        {"assignee": bea.pk},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert response.content.decode().lstrip().startswith('<section id="monitor"')
    at_risk.refresh_from_db()
    assert at_risk.assignee == bea
    event = CaseEvent.objects.get(case=at_risk, kind=CaseEvent.Kind.ASSIGNEE)
    assert event.actor == supervisor
    assert event.before["id"] == agent.pk
    assert event.after["id"] == bea.pk


def test_reassign_without_javascript_redirects_back_with_a_message(client, supervisor, at_risk):
    client.force_login(supervisor)
    response = client.post(
        reverse("console:case-assign", args=[at_risk.pk]), {"assignee": ""}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("console:monitor")
    assert f"{at_risk.reference} assigned to nobody." in response.content.decode()
    at_risk.refresh_from_db()
    assert at_risk.assignee is None


def test_reassign_to_someone_outside_the_team_is_refused(
    client, supervisor, at_risk, other_team, agent
):
    outsider = AgentFactory(username="olga", teams=[other_team])
    client.force_login(supervisor)
    response = client.post(
        reverse("console:case-assign", args=[at_risk.pk]),
        {"assignee": outsider.pk},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 400
    assert "choose a member of team Billing" in response.content.decode()
    at_risk.refresh_from_db()
    assert at_risk.assignee == agent
    for bad in ("abc", "-3", "99999"):
        response = client.post(
            reverse("console:case-assign", args=[at_risk.pk]),
            {"assignee": bad},
            headers={"HX-Request": "true"},
        )
        assert response.status_code == 400


def test_priority_in_place_is_audited(client, supervisor, at_risk):
    client.force_login(supervisor)
    response = client.post(
        reverse("console:case-priority", args=[at_risk.pk]),
        {"priority": "urgent"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    at_risk.refresh_from_db()
    assert at_risk.priority == "urgent"
    assert CaseEvent.objects.filter(
        case=at_risk, kind=CaseEvent.Kind.PRIORITY, actor=supervisor
    ).exists()


def test_a_bad_priority_is_400_and_changes_nothing(client, supervisor, at_risk):
    client.force_login(supervisor)
    response = client.post(
        reverse("console:case-priority", args=[at_risk.pk]),
        {"priority": "whenever"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 400
    at_risk.refresh_from_db()
    assert at_risk.priority == "normal"


@pytest.mark.parametrize("action", ["console:case-assign", "console:case-priority"])
def test_another_teams_case_is_404_and_an_agent_403(
    client, supervisor, agent, other_team, clock, action
):
    theirs = CaseFactory(team=other_team, status="open")
    client.force_login(supervisor)
    data = {"priority": "high", "assignee": ""}
    assert client.get(reverse("console:case-assign", args=[theirs.pk])).status_code == 404
    assert client.post(reverse(action, args=[theirs.pk]), data).status_code == 404
    client.force_login(agent)
    assert client.post(reverse(action, args=[theirs.pk]), data).status_code == 403
    theirs.refresh_from_db()
    assert theirs.priority == "normal"


def test_the_header_links_the_console_for_supervisors_only(client, supervisor, agent):
    client.force_login(supervisor)
    assert b'href="/console/">Console<' in client.get(reverse("home")).content
    client.force_login(agent)
    assert b'href="/console/">Console<' not in client.get(reverse("home")).content


def test_the_monitor_page_query_count_is_constant(
    client, supervisor, team, clock, django_assert_max_num_queries
):
    for n in range(20):
        CaseFactory(
            team=team,
            status="open",
            assignee=AgentFactory(teams=[team]),
            next_breach_at=NOW + timedelta(minutes=n),
        )
    client.force_login(supervisor)
    client.get(reverse("console:monitor"))
    with django_assert_max_num_queries(18):
        assert client.get(reverse("console:monitor")).status_code == 200
