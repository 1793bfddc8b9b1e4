"""The search page costs the same number of queries for 5 or 50 results: cases with their
tags and excerpts, contacts with their identities and cases."""

import pytest
from django.urls import reverse

from apps.cases import services
from apps.contacts.services import contact_add_identity, contact_find_or_create
from tests.factories import CaseFactory, InteractionFactory

pytestmark = pytest.mark.django_db


def make(n, team, agent, contact):
    cases = CaseFactory.create_batch(n, team=team, subject="voucher problem", requester=contact)
    for case in cases:
        InteractionFactory.create_batch(2, case=case, body_text="my voucher failed")
        services.case_note(case_id=case.pk, agent=agent, body_text="voucher checked")
        services.case_set_tags(case_id=case.pk, tags=["vip", "voucher"], actor=agent)


def search(client, query):
    return client.get(reverse("case-search"), {"q": query}).context["results"]


def test_words_cost_the_same_queries_for_5_or_50_matching_cases(
    client, agent, team, django_assert_max_num_queries
):
    contact, _ = contact_find_or_create(kind="email", value="voucher@example.com")
    client.force_login(agent)
    make(5, team, agent, contact)
    with django_assert_max_num_queries(14) as small:
        assert len(search(client, "voucher").cases) == 5
    make(45, team, agent, contact)
    with django_assert_max_num_queries(len(small.captured_queries)):
        results = search(client, "voucher")
    assert len(results.cases) == 50
    assert all(hit.snippet for hit in results.cases)


def test_a_contact_costs_the_same_queries_for_5_or_50_cases(
    client, agent, team, django_assert_max_num_queries
):
    contact, _ = contact_find_or_create(kind="email", value="voucher@example.com")
    client.force_login(agent)
    make(5, team, agent, contact)
    with django_assert_max_num_queries(14) as small:
        (hit,) = search(client, "voucher@example.com").contacts
    assert len(hit.cases) == 5
    make(45, team, agent, contact)
    contact_add_identity(contact=contact, kind="phone", value="+12025550143")
    with django_assert_max_num_queries(len(small.captured_queries)):
        (hit,) = search(client, "voucher@example.com").contacts
    assert hit.more_cases
