import pytest
from django.urls import reverse

from apps.cases import services
from apps.cases.models import Case
from tests.factories import AgentFactory, CaseFactory, InteractionFactory

pytestmark = pytest.mark.django_db
Status = Case.Status


def test_the_queue_needs_a_login(client):
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_an_agent_sees_open_cases_of_their_team_mine_or_unassigned(client, agent, team, other_team):
    colleague = AgentFactory(teams=[team])
    mine = CaseFactory(team=team, assignee=agent, status=Status.OPEN, subject="Mine")
    unassigned = CaseFactory(team=team, status=Status.NEW, subject="Unassigned")
    CaseFactory(team=team, assignee=colleague, status=Status.OPEN, subject="Colleague's")
    CaseFactory(team=team, status=Status.SOLVED, subject="Solved one")
    CaseFactory(team=other_team, status=Status.NEW, subject="Other team")
    client.force_login(agent)

    queue = client.get(reverse("home"))
    # No SLA clock on either: by id (the next breach first, nulls last, then the id).
    assert queue.context["page"].rows == [mine, unassigned]
    everything = client.get(reverse("home") + "?scope=all")
    subjects = {c.subject for c in everything.context["page"].rows}
    assert subjects == {"Mine", "Unassigned", "Colleague's", "Solved one"}
    assert "Other team" not in everything.content.decode()


def test_the_queue_costs_the_same_queries_for_5_or_50_cases(
    client, agent, team, django_assert_max_num_queries
):
    client.force_login(agent)
    CaseFactory.create_batch(5, team=team, status=Status.OPEN)
    with django_assert_max_num_queries(12) as small:
        client.get(reverse("home") + "?scope=all")
    cases = CaseFactory.create_batch(45, team=team, status=Status.OPEN)
    for case in cases[:10]:
        services.case_set_tags(case_id=case.pk, tags=["vip", "refund"], actor=agent)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(reverse("home") + "?scope=all")
    assert len(response.context["page"].rows) == 50


def test_the_case_page_shows_the_conversation(client, agent, team):
    case = CaseFactory(team=team, subject="Double charge")
    InteractionFactory(case=case, body_text="I was charged twice")
    services.case_note(case_id=case.pk, agent=agent, body_text="Checked the ledger")
    client.force_login(agent)
    response = client.get(reverse("case-detail", args=[case.pk]))
    body = response.content.decode()
    assert response.status_code == 200
    assert case.reference in body
    assert "I was charged twice" in body
    assert "internal note" in body
    assert "Checked the ledger" in body


def test_the_case_page_costs_the_same_queries_for_2_or_20_messages(
    client, agent, team, django_assert_max_num_queries
):
    case = CaseFactory(team=team)
    InteractionFactory.create_batch(2, case=case)
    client.force_login(agent)
    # 22: the header's root-cause select and the case's root-cause suggestions are one each.
    with django_assert_max_num_queries(22) as small:
        client.get(reverse("case-detail", args=[case.pk]))
    InteractionFactory.create_batch(18, case=case)
    for _ in range(5):
        services.case_note(case_id=case.pk, agent=agent, body_text="note")
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get(reverse("case-detail", args=[case.pk]))


def test_a_case_of_another_team_is_not_found(client, agent, other_team):
    case = CaseFactory(team=other_team)
    client.force_login(agent)
    assert client.get(reverse("case-detail", args=[case.pk])).status_code == 404
    assert client.get(reverse("case-detail", args=[999_999])).status_code == 404


def test_an_admin_sees_every_case(client, admin_user, other_team):
    case = CaseFactory(team=other_team)
    client.force_login(admin_user)
    assert client.get(reverse("case-detail", args=[case.pk])).status_code == 200


def test_a_failed_outbound_message_shows_why_on_the_case_page(client, agent, team):
    from apps.cases.models import Interaction

    case = CaseFactory(team=team)
    reply = services.case_reply(case_id=case.pk, agent=agent, body_text="Hello")
    Interaction.objects.filter(pk=reply.pk).update(
        delivery_status="failed", delivery_error="mailbox unavailable"
    )
    client.force_login(agent)
    body = client.get(reverse("case-detail", args=[case.pk])).content.decode()
    assert "Failed: mailbox unavailable" in body
