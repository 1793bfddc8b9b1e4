import pytest

from apps.webhooks.models import WebhookDelivery, WebhookSubscription
from tests.factories import AgentFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/webhooks/"


def test_an_integration_subscribes_and_gets_the_secret_once(admin_api, receiver):
    response = admin_api.post(
        URL,
        {"name": "CRM", "url": receiver.url, "events": ["case.created", "case.updated"]},
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["secret"].startswith("whsec_")
    listed = admin_api.get(URL).json()["results"]
    assert [s["id"] for s in listed] == [body["id"]]
    assert "secret" not in listed[0]
    assert "secret" not in admin_api.get(f"{URL}{body['id']}/").json()


def test_rotating_the_secret(admin_api, receiver):
    created = admin_api.post(
        URL, {"url": receiver.url, "events": ["case.created"]}, format="json"
    ).json()
    rotated = admin_api.post(f"{URL}{created['id']}/rotate-secret/").json()
    assert rotated["secret"] != created["secret"]


def test_bad_subscriptions_are_400(admin_api, settings):
    settings.CXDESK_WEBHOOK_ALLOW_PRIVATE_TARGETS = False
    for payload, field in [
        ({"url": "ftp://x.example.com", "events": ["case.created"]}, "url"),
        ({"url": "https://x.example.com", "events": ["case.deleted"]}, "events.0"),
        ({"url": "https://x.example.com", "events": []}, "events"),
        ({"url": "http://169.254.169.254/", "events": ["case.created"]}, "url"),
    ]:
        response = admin_api.post(URL, payload, format="json")
        assert response.status_code == 400, payload
        assert field in response.json()["error"]["fields"], response.json()
    assert not WebhookSubscription.objects.exists()


def test_users_see_only_their_own_subscriptions(admin_api, token_client, team, receiver):
    admin_api.post(URL, {"url": receiver.url, "events": ["case.created"]}, format="json")
    agent_api = token_client(AgentFactory(teams=[team]))
    mine = agent_api.post(
        URL, {"url": receiver.url, "events": ["case.created"]}, format="json"
    ).json()
    assert [s["id"] for s in agent_api.get(URL).json()["results"]] == [mine["id"]]
    others = WebhookSubscription.objects.exclude(pk=mine["id"]).get()
    assert agent_api.get(f"{URL}{others.pk}/").status_code == 404
    assert len(admin_api.get(URL).json()["results"]) == 2


def test_deleting_deactivates_and_keeps_the_log(admin_api, receiver):
    created = admin_api.post(
        URL, {"url": receiver.url, "events": ["case.created"]}, format="json"
    ).json()
    assert admin_api.delete(f"{URL}{created['id']}/").status_code == 204
    assert WebhookSubscription.objects.get(pk=created["id"]).is_active is False


def test_the_delivery_log(admin_api, receiver, django_capture_on_commit_callbacks):
    created = admin_api.post(
        URL, {"url": receiver.url, "events": ["case.created"]}, format="json"
    ).json()
    with django_capture_on_commit_callbacks(execute=True):
        admin_api.post(
            "/api/v1/cases/",
            {"subject": "Hook me", "requester": {"email": "a@example.com"}},
            format="json",
        )
    log = admin_api.get(f"{URL}{created['id']}/deliveries/").json()["results"]
    assert [(d["event"], d["status"]) for d in log] == [("case.created", "delivered")]
    assert WebhookDelivery.objects.count() == 1
    assert len(receiver.requests) == 1


def test_the_webhooks_scope_is_needed(admin_user, token_client):
    api = token_client(admin_user, scopes=["cases:read", "cases:write"])
    assert api.get(URL).status_code == 403
    read_only = token_client(admin_user, scopes=["webhooks:read"])
    assert read_only.get(URL).status_code == 200
    assert (
        read_only.post(
            URL, {"url": "https://x.example.com", "events": ["case.created"]}, format="json"
        ).status_code
        == 403
    )
