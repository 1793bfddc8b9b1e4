"""The search page costs the same number of queries for 5 or 50 results."""

import pytest
from django.urls import reverse

from apps.cases import services
from apps.contacts.services import contact_find_or_create
from tests.factories import CaseFactory, InteractionFactory

pytestmark = pytest.mark.django_db


def make(n, team, agent, contact):
    for case in CaseFactory.create_batch(
        n, team=team, subject="voucher problem", requester=contact
    ):
        InteractionFactory.create_batch(2, case=case, body_text="my voucher failed")
        services.case_note(case_id=case.pk, agent=agent, body_text="voucher checked")
        services.case_set_tags(case_id=case.pk, tags=["vip", "voucher"], actor=agent)


@pytest.mark.parametrize("query", ["voucher", "voucher@example.com"])
def test_the_search_page_costs_the_same_queries_for_5_or_50_results(
    client, agent, team, django_assert_max_num_queries, query
):
    contact, _ = contact_find_or_create(kind="email", value="voucher@example.com")
    client.force_login(agent)
    make(5, team, agent, contact)
    with django_assert_max_num_queries(14) as small:
        response = client.get(reverse("case-search"), {"q": query})
    assert (
        len(response.context["results"].cases)
        + len(
            response.context["results"].contacts[0].cases
            if response.context["results"].contacts
            else []
        )
        >= 5
    )
    make(45, team, agent, contact)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(reverse("case-search"), {"q": query})
    results = response.context["results"]
    assert len(results.cases) == 50 or results.contacts[0].more_cases
