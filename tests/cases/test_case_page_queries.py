"""The case page costs the same number of queries for 10 or 50 interactions (with files,
calls, notes, chat sessions) and however many other cases the requester has."""

import pytest
from django.urls import reverse

from apps.cases import services
from apps.cases.models import Case
from apps.phone.services import call_log
from tests.factories import CaseFactory, EmailIdentityFactory, InteractionFactory, SlaPolicyFactory

pytestmark = pytest.mark.django_db


def grow(case, agent, n):
    """n more interactions of every kind on the case, and n/5 more cases of its requester."""
    for i in range(n // 5):
        message = InteractionFactory(case=case, body_html="<p>Hello <b>there</b></p>")
        services.attachment_add(interaction=message, filename=f"f{i}.txt", content=b"x")
        services.case_note(case_id=case.pk, agent=agent, body_text="note")
        services.case_reply(case_id=case.pk, agent=agent, body_text="reply")
        call_log(
            case=case, agent=agent, direction="inbound", number="+12025550143", duration_seconds=65
        )
        InteractionFactory(case=case, channel="chat", metadata={"chat_session_id": i})
        CaseFactory(team=case.team, requester=case.requester)


def test_ten_or_fifty_interactions_cost_the_same_queries(
    client, agent, team, django_assert_max_num_queries
):
    SlaPolicyFactory(targets={("normal", "first_response"): 60, ("normal", "resolution"): 600})
    identity = EmailIdentityFactory()
    case = CaseFactory(
        team=team, assignee=agent, status=Case.Status.OPEN, requester=identity.contact
    )
    grow(case, agent, 10)
    client.force_login(agent)
    path = reverse("case-detail", args=[case.pk])
    with django_assert_max_num_queries(40) as small:
        assert client.get(path).status_code == 200
    grow(case, agent, 40)
    assert case.interactions.count() >= 50
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(path)
    assert len(response.context["case"].interactions.all()) == case.interactions.count()


def test_the_audit_trail_costs_the_same_for_any_length(
    client, agent, team, django_assert_max_num_queries
):
    case = CaseFactory(team=team, assignee=agent)
    client.force_login(agent)
    path = reverse("case-history", args=[case.pk])
    with django_assert_max_num_queries(10) as small:
        client.get(path, HTTP_HX_REQUEST="true")
    for i in range(20):
        services.case_set_tags(case_id=case.pk, tags=[f"t{i}"], actor=agent)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(path, HTTP_HX_REQUEST="true")
    assert response.content.decode().count("Tags changed") == 20
