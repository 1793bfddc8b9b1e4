"""Who may manage webhook subscriptions and read their delivery log through the API.

Browser sessions: admins (role admin, or a superuser) only; a signed-in agent or supervisor
gets 403 on every webhook endpoint, before any subscription is looked up. API tokens: what
their scopes allow (webhooks:read to read, webhooks:write to change), whoever owns them —
tokens are made by admins, so the scopes are what an admin granted.
"""

import pytest
from rest_framework.test import APIClient

from apps.webhooks.models import WebhookDelivery, WebhookSubscription
from tests.factories import AdminFactory, AgentFactory, SupervisorFactory, UserFactory
from tests.webhooks.factories import WebhookDeliveryFactory, WebhookSubscriptionFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/webhooks/"
NEW = {"url": "https://hooks.example.com/x", "events": ["case.created"]}

READS = ["list", "retrieve", "deliveries"]
WRITES = ["create", "update", "rotate", "delete"]


def _call(client, operation: str, subscription: WebhookSubscription):
    detail = f"{URL}{subscription.pk}/"
    return {
        "list": lambda: client.get(URL),
        "retrieve": lambda: client.get(detail),
        "deliveries": lambda: client.get(f"{detail}deliveries/"),
        "create": lambda: client.post(URL, NEW, format="json"),
        "update": lambda: client.patch(detail, {"name": "Renamed"}, format="json"),
        "rotate": lambda: client.post(f"{detail}rotate-secret/"),
        "delete": lambda: client.delete(detail),
    }[operation]()


def _session(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


@pytest.fixture
def own_subscription():
    """make(owner) → a subscription of that owner with one delivery in its log."""

    def make(owner):
        subscription = WebhookSubscriptionFactory(owner=owner, url="https://hooks.example.com/a")
        WebhookDeliveryFactory(subscription=subscription)
        return subscription

    return make


@pytest.mark.parametrize("operation", READS + WRITES)
@pytest.mark.parametrize(
    "make_user", [AgentFactory, SupervisorFactory], ids=["agent", "supervisor"]
)
def test_agents_and_supervisors_signed_in_get_403_and_change_nothing(
    make_user, operation, team, own_subscription
):
    user = make_user(teams=[team])
    subscription = own_subscription(user)  # even their own (made before the rule)
    before = (subscription.name, subscription.secret, subscription.is_active)

    response = _call(_session(user), operation, subscription)

    assert response.status_code == 403, response.content
    assert "admins" in response.json()["error"]["message"]
    subscription.refresh_from_db()
    assert (subscription.name, subscription.secret, subscription.is_active) == before
    assert WebhookSubscription.objects.count() == 1


@pytest.mark.parametrize("operation", READS + WRITES)
@pytest.mark.parametrize(
    "make_user",
    [
        lambda: AdminFactory(is_superuser=False),  # role admin
        lambda: UserFactory(is_superuser=True, is_staff=True),  # createsuperuser, no profile
    ],
    ids=["admin-role", "superuser"],
)
def test_admins_signed_in_may_do_everything(make_user, operation, own_subscription):
    user = make_user()
    response = _call(_session(user), operation, own_subscription(user))
    assert response.status_code in (200, 201, 204), response.content


@pytest.mark.parametrize("operation", READS + WRITES)
@pytest.mark.parametrize(
    "make_owner",
    [AdminFactory, AgentFactory, SupervisorFactory],
    ids=["admin-owned", "agent-owned", "supervisor-owned"],
)
def test_a_token_with_the_webhook_scopes_may_do_everything_whoever_owns_it(
    make_owner, operation, token_client, own_subscription
):
    owner = make_owner()
    client = token_client(owner, scopes=["webhooks:read", "webhooks:write"])
    response = _call(client, operation, own_subscription(owner))
    assert response.status_code in (200, 201, 204), response.content


@pytest.mark.parametrize("operation", READS + WRITES)
def test_a_token_may_do_only_what_its_scopes_say(operation, token_client, own_subscription):
    owner = AgentFactory()
    subscription = own_subscription(owner)
    readers = token_client(owner, scopes=["webhooks:read"])
    writers = token_client(owner, scopes=["webhooks:write"])
    neither = token_client(owner, scopes=["cases:read", "cases:write"])

    read_only_status = _call(readers, operation, subscription).status_code
    write_only_status = _call(writers, operation, subscription).status_code

    if operation in READS:
        # A write scope also reads its own resource (apps.api.permissions.HasScope).
        assert read_only_status == 200
        assert write_only_status == 200
    else:
        assert read_only_status == 403
        assert write_only_status in (200, 201, 204)
    assert _call(neither, operation, subscription).status_code == 403


def test_an_agents_token_sees_and_changes_only_its_owners_subscriptions(
    token_client, own_subscription
):
    agent = AgentFactory()
    others = own_subscription(AdminFactory())
    mine = own_subscription(agent)
    client = token_client(agent, scopes=["webhooks:read", "webhooks:write"])

    assert [s["id"] for s in client.get(URL).json()["results"]] == [mine.pk]
    for operation in ["retrieve", "deliveries", "update", "rotate", "delete"]:
        assert _call(client, operation, others).status_code == 404, operation
    others.refresh_from_db()
    assert others.is_active
    assert others.name != "Renamed"


@pytest.mark.parametrize("operation", READS + WRITES)
def test_no_credentials_get_401_or_403(operation, own_subscription):
    response = _call(APIClient(), operation, own_subscription(AdminFactory()))
    assert response.status_code in (401, 403)
    assert WebhookDelivery.objects.count() == 1
