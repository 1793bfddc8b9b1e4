import pytest
from django.core.cache import cache
from rest_framework.throttling import SimpleRateThrottle

pytestmark = pytest.mark.django_db


@pytest.fixture
def low_rates(monkeypatch):
    cache.clear()
    monkeypatch.setattr(
        SimpleRateThrottle,
        "THROTTLE_RATES",
        {"token": "3/minute", "user": "3/minute", "anon": "3/minute"},
    )
    yield
    cache.clear()


def test_each_token_has_its_own_rate(admin_user, token_client, low_rates):
    one, two = token_client(admin_user), token_client(admin_user)
    statuses = [one.get("/api/v1/teams/").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    limited = one.get("/api/v1/teams/")
    assert limited.json()["error"]["code"] == "throttled"
    assert int(limited["Retry-After"]) > 0
    assert two.get("/api/v1/teams/").status_code == 200


def test_browser_users_are_throttled_per_user(client, agent, low_rates):
    client.force_login(agent)
    statuses = [client.get("/api/v1/teams/").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]


def test_the_default_rates_come_from_settings(settings):
    rates = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    assert rates == {"token": "1200/minute", "user": "600/minute", "anon": "60/minute"}
