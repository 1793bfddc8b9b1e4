"""API lists cost a constant number of queries: a page of 20 rows as many as a page of 2.

Each test reads a page, adds rows (with everything a row shows: organizations, identities),
reads it again and asserts the same count, so a per-row query fails here and names itself.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import CaseFactory, ContactFactory, EmailIdentityFactory, OrganizationFactory
from tests.webhooks.factories import WebhookDeliveryFactory, WebhookSubscriptionFactory

pytestmark = pytest.mark.django_db


def assert_constant_queries(api, url, add_rows, django_assert_num_queries):
    """GET url with 2 rows, then with 20 (add_rows(n) adds n): the same number of queries."""
    api.get(url)  # warm: a token's last use is written at most once a minute
    add_rows(2)
    with CaptureQueriesContext(connection) as few:
        response = api.get(url)
    assert response.status_code == 200, response.content
    assert len(response.json()["results"]) == 2
    add_rows(18)
    with django_assert_num_queries(len(few.captured_queries)):
        response = api.get(url)
    assert len(response.json()["results"]) == 20


def test_the_contacts_list(agent_api, team, django_assert_num_queries):
    def add_contacts(n):
        for _ in range(n):
            contact = ContactFactory(organization=OrganizationFactory())
            CaseFactory(team=team, requester=contact)
            EmailIdentityFactory.create_batch(3, contact=contact)

    assert_constant_queries(agent_api, "/api/v1/contacts/", add_contacts, django_assert_num_queries)


def test_the_webhooks_list(admin_user, admin_api, django_assert_num_queries):
    def add_subscriptions(n):
        WebhookSubscriptionFactory.create_batch(n, owner=admin_user)

    assert_constant_queries(
        admin_api, "/api/v1/webhooks/", add_subscriptions, django_assert_num_queries
    )


def test_the_delivery_log(admin_user, admin_api, django_assert_num_queries):
    subscription = WebhookSubscriptionFactory(owner=admin_user)

    def add_deliveries(n):
        WebhookDeliveryFactory.create_batch(n, subscription=subscription)

    assert_constant_queries(
        admin_api,
        f"/api/v1/webhooks/{subscription.pk}/deliveries/",
        add_deliveries,
        django_assert_num_queries,
    )
