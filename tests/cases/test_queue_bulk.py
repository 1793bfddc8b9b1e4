"""Bulk actions on the queue's selected cases: one service call per case, audited; a case the
user may not see refuses the request; one refused change does not stop the others."""

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from apps.cases.models import Case, CaseEvent
from tests.factories import AgentFactory, CaseFactory

pytestmark = pytest.mark.django_db
Status, Priority = Case.Status, Case.Priority
BULK = "/queue/bulk/"


def _post(client, cases, **data):
    data = {"next": "/?view=breaching", "case": [str(c.pk) for c in cases], **data}
    return client.post(reverse("queue-bulk"), data)


def _messages(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def signed_in(client, agent):
    client.force_login(agent)
    return client


def test_the_bulk_url_is_the_one_the_page_posts_to(signed_in):
    assert reverse("queue-bulk") == BULK
    assert f'action="{BULK}"' in signed_in.get(reverse("home")).content.decode()


def test_assign_to_me_changes_each_case_through_the_service(signed_in, agent, team):
    one, two = CaseFactory(team=team), CaseFactory(team=team, status=Status.PENDING)
    response = _post(signed_in, [one, two], action="assign_me")
    assert response.status_code == 302
    assert response["Location"] == "/?view=breaching"
    one.refresh_from_db()
    two.refresh_from_db()
    assert (one.assignee, two.assignee) == (agent, agent)
    assert one.status == Status.OPEN  # the service opens an assigned new case
    events = CaseEvent.objects.filter(kind=CaseEvent.Kind.ASSIGNEE, actor=agent)
    assert set(events.values_list("case_id", flat=True)) == {one.pk, two.pk}
    [message] = _messages(response)
    assert message.startswith("Assigned to ")
    assert f"2 cases changed ({one.reference}, {two.reference})" in message


def test_assign_to_a_teammate(signed_in, team):
    cleo = AgentFactory(teams=[team], first_name="Cleo", last_name="Ng")
    case = CaseFactory(team=team)
    _post(signed_in, [case], action="assign", assignee=str(cleo.pk))
    case.refresh_from_db()
    assert case.assignee == cleo


def test_an_agent_of_no_shared_team_is_not_a_choice(signed_in, team, other_team):
    stranger = AgentFactory(teams=[other_team])
    case = CaseFactory(team=team)
    response = _post(signed_in, [case], action="assign", assignee=str(stranger.pk))
    assert response.status_code == 400
    case.refresh_from_db()
    assert case.assignee is None


def test_set_status_reports_the_case_it_could_not_change_and_changes_the_others(
    signed_in, agent, team
):
    ok = CaseFactory(team=team, status=Status.OPEN)
    closed = CaseFactory(team=team, status=Status.CLOSED)
    already = CaseFactory(team=team, status=Status.PENDING)
    also_ok = CaseFactory(team=team, status=Status.NEW)
    response = _post(signed_in, [ok, closed, already, also_ok], action="status", status="pending")
    assert response.status_code == 302
    statuses = dict(Case.objects.values_list("pk", "status"))
    assert statuses == {
        ok.pk: "pending",
        closed.pk: "closed",
        already.pk: "pending",
        also_ok.pk: "pending",
    }
    changed, unchanged, failed = _messages(response)
    assert (
        changed == f"Status set to Pending: 2 cases changed ({ok.reference}, {also_ok.reference})."
    )
    assert unchanged == f"Already so, left as they were: {already.reference}."
    assert failed.startswith(f"{closed.reference} not changed: a closed case cannot become pending")
    assert not CaseEvent.objects.filter(case=closed, kind=CaseEvent.Kind.STATUS).exists()


def test_set_priority(signed_in, agent, team):
    cases = CaseFactory.create_batch(2, team=team, priority=Priority.NORMAL)
    _post(signed_in, cases, action="priority", priority="urgent")
    assert set(Case.objects.values_list("priority", flat=True)) == {"urgent"}
    assert CaseEvent.objects.filter(kind=CaseEvent.Kind.PRIORITY, actor=agent).count() == 2


def test_add_tag_keeps_the_tags_a_case_had(signed_in, agent, team):
    from apps.cases import services

    tagged, plain = CaseFactory(team=team), CaseFactory(team=team)
    services.case_set_tags(case_id=tagged.pk, tags=["vip"], actor=agent)
    _post(signed_in, [tagged, plain], action="tag", tag="Refund")
    assert sorted(tagged.tags.values_list("name", flat=True)) == ["refund", "vip"]
    assert list(plain.tags.values_list("name", flat=True)) == ["refund"]


def test_merge_asks_which_case_to_keep_then_merges_the_others_into_it(signed_in, agent, team):
    a, b, c = CaseFactory.create_batch(3, team=team, status=Status.OPEN)
    confirm = _post(signed_in, [a, b, c], action="merge")
    body = confirm.content.decode()
    assert confirm.status_code == 200
    for case in (a, b, c):
        assert f'name="target" value="{case.pk}"' in body
    assert Case.objects.filter(status=Status.CLOSED).count() == 0  # nothing yet

    response = _post(signed_in, [a, b, c], action="merge", target=str(b.pk))
    assert response.status_code == 302
    a.refresh_from_db()
    c.refresh_from_db()
    assert (a.merged_into_id, c.merged_into_id) == (b.pk, b.pk)
    assert a.status == c.status == Status.CLOSED
    assert _messages(response) == [
        f"Merged into {b.reference}: 2 cases changed ({a.reference}, {c.reference})."
    ]


def test_merge_into_a_case_not_selected_is_refused(signed_in, team):
    a, b, outside = CaseFactory.create_batch(3, team=team)
    response = _post(signed_in, [a, b], action="merge", target=str(outside.pk))
    assert response.status_code == 400
    assert "Merge into one of the selected cases" in response.content.decode()
    assert not Case.objects.filter(merged_into__isnull=False).exists()


def test_a_case_of_another_team_injected_refuses_everything(signed_in, team, other_team):
    mine = CaseFactory(team=team, priority=Priority.NORMAL)
    theirs = CaseFactory(team=other_team, priority=Priority.NORMAL)
    for action in ({"action": "priority", "priority": "urgent"}, {"action": "assign_me"}):
        response = _post(signed_in, [mine, theirs], **action)
        assert response.status_code == 404
    response = signed_in.post(
        reverse("queue-bulk"), {"case": [str(mine.pk), "999999"], "action": "assign_me"}
    )
    assert response.status_code == 404
    assert set(Case.objects.values_list("priority", flat=True)) == {"normal"}
    assert not Case.objects.filter(assignee__isnull=False).exists()
    assert not CaseEvent.objects.filter(kind__in=["priority", "assignee"]).exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"action": "assign_me"}, "Select at least one case."),
        ({"action": "assign_me", "case": ["1x"]}, "A selected case id is not a case id."),
        ({"action": "explode", "case": ["1"]}, "Select a valid choice"),
        ({"action": "priority", "case": ["1"]}, "Priority: Choose a value for this action."),
        ({"action": "status", "case": ["1"], "status": "lost"}, "Select a valid choice"),
        ({"action": "merge", "case": ["1"]}, "Select two cases or more to merge."),
    ],
)
def test_a_request_it_cannot_read_is_a_400_saying_why(signed_in, team, data, message):
    case = CaseFactory(team=team, pk=1)
    response = signed_in.post(reverse("queue-bulk"), {**data, "next": "/"})
    assert response.status_code == 400
    assert message in response.content.decode()
    case.refresh_from_db()
    assert case.assignee is None


def test_it_goes_back_only_to_this_site(signed_in, team):
    case = CaseFactory(team=team)
    response = _post(signed_in, [case], action="assign_me", next="https://evil.example/")
    assert response["Location"] == "/"


def test_it_needs_a_post_with_the_csrf_token(agent, team):
    case = CaseFactory(team=team)
    client = Client(enforce_csrf_checks=True)
    client.force_login(agent)
    assert client.get(reverse("queue-bulk")).status_code == 405
    assert _post(client, [case], action="assign_me").status_code == 403
    case.refresh_from_db()
    assert case.assignee is None
