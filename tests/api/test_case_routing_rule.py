"""Who may route a case where, on every API path that sets a team or an assignee: an agent (or
a token an agent owns) only to their own teams and teammates, or themselves; supervisors and
admins anywhere. A refusal is a 400 naming the field, and nothing is created or changed."""

import pytest

from apps.cases import services
from apps.cases.models import Case, CaseEvent
from apps.contacts.models import Contact
from apps.phone.models import Call
from tests.factories import AgentFactory, CaseFactory, SupervisorFactory
from tests.phone.conftest import CUSTOMER

pytestmark = pytest.mark.django_db
CASES = "/api/v1/cases/"
CALLS = "/api/v1/calls/"


@pytest.fixture
def people(team, other_team, agent, supervisor, admin_user):
    return {
        "agent": agent,  # in Billing
        "teammate": AgentFactory(username="tia", teams=[team]),
        "outsider": AgentFactory(username="otto", teams=[other_team]),
        "supervisor": supervisor,  # in Billing only
        "admin": admin_user,  # in no team
    }


def _new_case(**extra):
    return {"subject": "Refund", "requester": {"email": "ann@example.com"}, **extra}


def _refused(response, field):
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "routing_not_allowed"
    assert list(error["fields"]) == [field]
    return error


def _nothing_created():
    assert (Case.objects.count(), Contact.objects.count(), Call.objects.count()) == (0, 0, 0)


# --- POST /cases/ --------------------------------------------------------------------------


def test_an_agent_cannot_open_a_case_for_a_team_they_are_not_in(people, other_team, token_client):
    response = token_client(people["agent"]).post(
        CASES, _new_case(team=other_team.pk), format="json"
    )
    error = _refused(response, "team")
    assert "alex is not in team Logistics" in error["message"]
    _nothing_created()


def test_an_agent_cannot_assign_a_new_case_to_someone_outside_their_teams(people, token_client):
    response = token_client(people["agent"]).post(
        CASES, _new_case(assignee=people["outsider"].pk), format="json"
    )
    _refused(response, "assignee")
    _nothing_created()


def test_the_rule_is_the_same_in_a_browser_session(people, other_team, client):
    client.force_login(people["agent"])
    response = client.post(CASES, _new_case(team=other_team.pk), content_type="application/json")
    _refused(response, "team")
    _nothing_created()


@pytest.mark.parametrize(
    ("who", "assignee"), [("agent", "agent"), ("agent", "teammate"), ("agent", None)]
)
def test_an_agent_opens_cases_in_their_team_for_themselves_or_a_teammate(
    people, team, token_client, who, assignee
):
    payload = _new_case(team=team.pk)
    if assignee:
        payload["assignee"] = people[assignee].pk
    response = token_client(people[who]).post(CASES, payload, format="json")
    assert response.status_code == 201, response.content
    # ... and can see what they opened.
    assert token_client(people[who]).get(f"{CASES}{response.json()['id']}/").status_code == 200


def test_an_agent_may_assign_a_case_without_a_team_to_themselves(people, token_client):
    response = token_client(people["agent"]).post(
        CASES, _new_case(assignee=people["agent"].pk), format="json"
    )
    assert response.status_code == 201, response.content


@pytest.mark.parametrize("who", ["supervisor", "admin"])
def test_supervisors_and_admins_route_new_cases_anywhere(people, other_team, token_client, who):
    response = token_client(people[who]).post(
        CASES, _new_case(team=other_team.pk, assignee=people["outsider"].pk), format="json"
    )
    assert response.status_code == 201, response.content
    assert response.json()["team"]["id"] == other_team.pk
    assert response.json()["assignee"]["id"] == people["outsider"].pk


# --- PATCH /cases/{id}/ ----------------------------------------------------------------------


def test_an_agent_cannot_move_a_case_to_a_team_they_are_not_in(
    people, team, other_team, token_client
):
    case = CaseFactory(team=team)
    response = token_client(people["agent"]).patch(
        f"{CASES}{case.pk}/", {"team": other_team.pk, "priority": "high"}, format="json"
    )
    _refused(response, "team")
    case.refresh_from_db()
    assert (case.team, case.priority) == (team, "normal")
    assert not case.events.exists()


def test_an_agent_cannot_hand_a_case_to_someone_outside_their_teams(people, token_client):
    case = CaseFactory(assignee=people["agent"], status="open")  # no team: only theirs
    response = token_client(people["agent"]).patch(
        f"{CASES}{case.pk}/", {"assignee": people["outsider"].pk}, format="json"
    )
    _refused(response, "assignee")
    case.refresh_from_db()
    assert case.assignee == people["agent"]
    assert not case.events.exists()


def test_an_agent_hands_a_case_to_a_teammate_and_unassigns(people, team, token_client):
    case = CaseFactory(team=team, assignee=people["agent"], status="open")
    api = token_client(people["agent"])
    response = api.patch(f"{CASES}{case.pk}/", {"assignee": people["teammate"].pk}, format="json")
    assert response.status_code == 200, response.content
    response = api.patch(f"{CASES}{case.pk}/", {"assignee": None}, format="json")
    assert response.status_code == 200
    assert response.json()["assignee"] is None


# --- A case no agent could see ----------------------------------------------------------------


def test_an_agent_cannot_open_a_case_with_neither_team_nor_assignee(people, token_client):
    """It would be hidden from every agent, the one who opened it included (issue 7, 9)."""
    response = token_client(people["agent"]).post(CASES, _new_case(), format="json")
    assert "team or an assignee" in _refused(response, "team")["message"]
    _nothing_created()


def test_an_agent_cannot_leave_a_case_with_neither(people, team, token_client):
    api = token_client(people["agent"])
    unassigned = CaseFactory(team=team, status="new")
    _refused(api.patch(f"{CASES}{unassigned.pk}/", {"team": None}, format="json"), "team")
    teamless = CaseFactory(team=None, assignee=people["agent"], status="open")
    _refused(api.patch(f"{CASES}{teamless.pk}/", {"assignee": None}, format="json"), "team")
    unassigned.refresh_from_db()
    teamless.refresh_from_db()
    assert (unassigned.team, teamless.assignee) == (team, people["agent"])


@pytest.mark.parametrize("who", ["supervisor", "admin"])
def test_supervisors_and_admins_may_leave_a_case_unrouted(people, token_client, who):
    response = token_client(people[who]).post(CASES, _new_case(), format="json")
    assert response.status_code == 201, response.content
    assert response.json()["team"] is None
    assert response.json()["assignee"] is None


@pytest.mark.parametrize("who", ["supervisor", "admin"])
def test_supervisors_and_admins_move_cases_anywhere(people, team, other_team, token_client, who):
    case = CaseFactory(team=team)
    response = token_client(people[who]).patch(
        f"{CASES}{case.pk}/",
        {"team": other_team.pk, "assignee": people["outsider"].pk},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert case.events.filter(kind=CaseEvent.Kind.TEAM).exists()


# --- POST /calls/ ----------------------------------------------------------------------------


def _call(**extra):
    return {"direction": "inbound", "from_number": CUSTOMER, **extra}


def test_an_agent_cannot_open_a_call_s_case_for_another_team(people, other_team, token_client):
    response = token_client(people["agent"]).post(CALLS, _call(team=other_team.pk), format="json")
    _refused(response, "team")
    _nothing_created()


def test_an_agent_cannot_name_someone_outside_their_teams_as_the_call_s_agent(people, token_client):
    response = token_client(people["agent"]).post(
        CALLS,
        _call(agent=people["outsider"].pk, status="completed", answered_at="2026-01-05T10:00:00Z"),
        format="json",
    )
    _refused(response, "agent")
    _nothing_created()


def test_an_agent_cannot_give_a_known_call_an_agent_outside_their_teams(people, team, token_client):
    api = token_client(people["agent"])
    assert api.post(CALLS, _call(sid="CA-1", team=team.pk), format="json").status_code == 201
    response = api.post(CALLS, {"sid": "CA-1", "agent": people["outsider"].pk}, format="json")
    _refused(response, "agent")
    assert Call.objects.get().agent is None


@pytest.mark.parametrize(
    ("who", "named"),
    [("agent", "agent"), ("agent", "teammate"), ("supervisor", "outsider"), ("admin", "outsider")],
)
def test_who_may_name_whom_as_a_call_s_agent(people, team, token_client, who, named):
    response = token_client(people[who]).post(
        CALLS, _call(team=team.pk, agent=people[named].pk), format="json"
    )
    assert response.status_code == 201, response.content


# --- the service, for every caller ------------------------------------------------------------


def test_the_services_apply_the_rule_to_an_agent_actor(people, team, other_team):
    from tests.factories import ContactFactory

    agent = people["agent"]
    with pytest.raises(services.RoutingNotAllowed) as refused:
        services.case_open(
            requester=ContactFactory(), subject="x", channel="api", team=other_team, actor=agent
        )
    assert refused.value.field == "team"
    case = CaseFactory(team=team)
    with pytest.raises(services.RoutingNotAllowed):
        services.case_set_team(case_id=case.pk, team=other_team, actor=agent)
    with pytest.raises(services.RoutingNotAllowed):
        services.case_assign(case_id=CaseFactory().pk, assignee=people["outsider"], actor=agent)


def test_the_system_and_customers_are_not_limited(people, other_team):
    """Mail, chat, social and provider webhooks route by configuration (actor None)."""
    from tests.factories import ContactFactory

    case = services.case_open(
        requester=ContactFactory(),
        subject="x",
        channel="email",
        team=other_team,
        assignee=people["outsider"],
    ).case
    assert (case.team, case.assignee) == (other_team, people["outsider"])


def test_a_user_without_a_profile_counts_as_an_agent(team, other_team, token_client):
    from tests.factories import UserFactory

    plain = UserFactory(teams=[team])
    response = token_client(plain).post(CASES, _new_case(team=other_team.pk), format="json")
    _refused(response, "team")


def test_a_supervisor_of_another_team_routes_anywhere_too(people, team, token_client):
    boss = SupervisorFactory(teams=[])
    response = token_client(boss).post(
        CASES, _new_case(team=team.pk, assignee=people["agent"].pk), format="json"
    )
    assert response.status_code == 201, response.content
