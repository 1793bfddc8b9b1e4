import pytest

from apps.cases.models import Case
from tests.factories import CaseFactory, InteractionFactory

pytestmark = pytest.mark.django_db


def _url(case):
    return f"/api/v1/cases/{case.pk}/interactions/"


def test_an_inbound_message_from_the_requester_reopens_a_solved_case(agent_api, team):
    case = CaseFactory(team=team, status="solved", channel="email")
    response = agent_api.post(
        _url(case), {"type": "message", "body_text": "Still broken"}, format="json"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["type"], body["direction"], body["channel"]) == ("message", "in", "email")
    assert body["author_contact"]["id"] == case.requester_id
    case.refresh_from_db()
    assert case.status == "open"
    assert case.reopen_count == 1


def test_a_message_from_someone_else_names_them(agent_api, team):
    case = CaseFactory(team=team)
    response = agent_api.post(
        _url(case),
        {
            "type": "message",
            "body_text": "I am her colleague",
            "author": {"email": "Bob@Example.com"},
        },
        format="json",
    )
    assert response.json()["author_contact"]["id"] != case.requester_id


def test_an_agent_reply_and_a_note(agent_api, agent, team):
    case = CaseFactory(team=team, status="new", channel="chat")
    reply = agent_api.post(
        _url(case), {"type": "reply", "body_text": "Hello!", "status": "pending"}, format="json"
    )
    note = agent_api.post(
        _url(case), {"type": "note", "body_html": "<b>VIP</b><script>x</script>"}, format="json"
    )
    assert reply.status_code == note.status_code == 201
    assert reply.json()["author_agent"]["id"] == agent.pk
    assert reply.json()["channel"] == "chat"
    assert note.json()["type"] == "note"
    assert note.json()["is_public"] is False
    assert "<script>" not in note.json()["body_html"]
    case.refresh_from_db()
    assert case.status == "pending"
    assert case.first_response_at is not None
    assert case.assignee == agent


def test_a_message_to_a_closed_case_lands_in_its_follow_up(agent_api, team):
    case = CaseFactory(team=team, status="closed")
    response = agent_api.post(
        _url(case), {"type": "message", "body_text": "Back again"}, format="json"
    )
    follow_up = Case.objects.get(follow_up_of=case)
    assert response.json()["case"] == follow_up.pk


def test_a_reply_to_a_closed_case_is_refused(agent_api, team):
    case = CaseFactory(team=team, status="closed")
    response = agent_api.post(_url(case), {"type": "reply", "body_text": "Hello"}, format="json")
    assert response.status_code == 400
    assert "closed" in response.json()["error"]["message"]


@pytest.mark.parametrize(
    "payload",
    [
        {"body_text": "x"},
        {"type": "email", "body_text": "x"},
        {"type": "note"},
        {"type": "note", "body_text": "x", "author": {"email": "a@example.com"}},
        {"type": "message", "body_text": "x", "status": "solved"},
        {"type": "message", "body_text": "x", "channel": "telex"},
        {"type": "message", "body_text": "x", "occurred_at": "last tuesday"},
        {"type": "message", "body_text": "x", "author": {"phone": "555"}},
    ],
)
def test_bad_interactions_are_400(agent_api, team, payload):
    case = CaseFactory(team=team)
    response = agent_api.post(_url(case), payload, format="json")
    assert response.status_code == 400, response.content
    assert not case.interactions.exists()


def test_the_timeline_is_oldest_first_with_constant_queries(
    agent_api, team, django_assert_max_num_queries
):
    case = CaseFactory(team=team)
    InteractionFactory.create_batch(3, case=case)
    with django_assert_max_num_queries(20) as few:
        agent_api.get(_url(case))
    InteractionFactory.create_batch(40, case=case)
    with django_assert_max_num_queries(len(few.captured_queries)):
        body = agent_api.get(_url(case)).json()
    times = [i["occurred_at"] for i in body["results"]]
    assert times == sorted(times)
    assert len(times) == 43


def test_an_external_id_of_another_teams_case_reveals_nothing(agent_api, team, other_team):
    theirs = CaseFactory(team=other_team)
    InteractionFactory(case=theirs, channel="chat", external_id="m-secret", body_text="SECRET")
    ours = CaseFactory(team=team)
    response = agent_api.post(
        _url(ours),
        {"type": "message", "body_text": "x", "channel": "chat", "external_id": "m-secret"},
        format="json",
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "external_id_taken"
    assert "SECRET" not in response.content.decode()
    assert not ours.interactions.exists()
