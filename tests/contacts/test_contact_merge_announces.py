"""Merging contacts announces each case whose requester changed: webhooks hear case.updated."""

import pytest

from apps.contacts import services
from apps.webhooks import services as webhooks
from apps.webhooks.models import WebhookDelivery
from tests.factories import AdminFactory, CaseFactory, ContactFactory
from tests.webhooks.factories import WebhookSubscriptionFactory

pytestmark = pytest.mark.django_db


def test_each_moved_case_sends_case_updated_with_the_new_requester():
    WebhookSubscriptionFactory(owner=AdminFactory(), events=["case.updated"])
    source, target = ContactFactory(), ContactFactory()
    moved = CaseFactory.create_batch(2, requester=source)
    CaseFactory(requester=target)  # already theirs: not announced

    services.contact_merge(source_id=source.pk, target_id=target.pk)

    data = [d.payload["data"] for d in WebhookDelivery.objects.order_by("pk")]
    assert sorted(d["case"]["id"] for d in data) == sorted(c.pk for c in moved)
    assert {(d["case"]["requester_id"], tuple(d["changed"])) for d in data} == {
        (target.pk, ("requester",))
    }


@pytest.mark.parametrize("cases", [1, 20])
def test_it_costs_the_same_queries_whatever_the_number_of_cases(cases, django_assert_num_queries):
    WebhookSubscriptionFactory(owner=AdminFactory())
    source, target = ContactFactory(), ContactFactory()
    CaseFactory.create_batch(cases, requester=source)
    webhooks.any_active_subscription()  # steady state: the flag is cached

    # The merge's 11; webhooks' subscriptions, cases, deliveries; the root-cause rollups'
    # read of the cases' opening days (their marks: none for a day that is still young).
    with django_assert_num_queries(15):
        services.contact_merge(source_id=source.pk, target_id=target.pk)

    assert WebhookDelivery.objects.count() == cases
