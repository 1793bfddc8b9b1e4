"""The admin shows every model to an admin, with a bounded number of queries."""

import pytest
from django.urls import reverse

from apps.cases import services
from tests.factories import CaseFactory, EmailIdentityFactory, InteractionFactory

pytestmark = pytest.mark.django_db

CHANGELISTS = [
    "cases_case",
    "cases_interaction",
    "cases_caseevent",
    "cases_tag",
    "contacts_contact",
    "contacts_contactidentity",
    "contacts_organization",
    "accounts_team",
    "auth_user",
]


@pytest.fixture
def data(agent, team):
    cases = CaseFactory.create_batch(20, team=team)
    for case in cases:
        InteractionFactory(case=case)
        EmailIdentityFactory(contact=case.requester)
    services.case_set_tags(case_id=cases[0].pk, tags=["vip"], actor=agent)
    services.case_note(case_id=cases[0].pk, agent=agent, body_text="note")
    return cases


@pytest.mark.parametrize("model", CHANGELISTS)
def test_every_changelist_renders_with_bounded_queries(
    model, admin_client, data, django_assert_max_num_queries
):
    app_label, model_name = model.split("_", 1)
    with django_assert_max_num_queries(15):
        response = admin_client.get(reverse(f"admin:{app_label}_{model_name}_changelist"))
    assert response.status_code == 200


def test_a_case_page_in_admin_shows_its_timeline(admin_client, data):
    case = data[0]
    response = admin_client.get(reverse("admin:cases_case_change", args=[case.pk]))
    assert response.status_code == 200
    assert b"note" in response.content
    assert case.reference.encode() in response.content


def test_admin_search_finds_a_case_by_reference(admin_client, data):
    case = data[3]
    response = admin_client.get(reverse("admin:cases_case_changelist"), {"q": case.reference})
    assert list(response.context["cl"].result_list) == [case]


def test_the_audit_trail_cannot_be_edited_in_admin(admin_client, data):
    event = data[0].events.first()
    response = admin_client.post(
        reverse("admin:cases_caseevent_change", args=[event.pk]), {"kind": "status"}
    )
    assert response.status_code == 403
    delete = admin_client.post(
        reverse("admin:cases_caseevent_delete", args=[event.pk]), {"post": "yes"}
    )
    assert delete.status_code == 403
