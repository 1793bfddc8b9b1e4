"""The public endpoints are throttled per address and per chat; a 429 is readable by the
widget (it carries the CORS headers and Retry-After)."""

import pytest
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

from apps.cases.models import Case
from tests.chat.conftest import ORIGIN

pytestmark = pytest.mark.django_db


@pytest.fixture
def low_rates(monkeypatch):
    monkeypatch.setattr(
        SimpleRateThrottle,
        "THROTTLE_RATES",
        {"chat_address": "100/minute", "chat_start": "2/minute", "chat_session": "3/minute"},
    )


def test_starting_chats_is_throttled_per_address(visitor, widget, low_rates):
    path = f"/channels/chat/widgets/{widget.public_key}/sessions/"
    statuses = [visitor.post(path, {"message": "hi"}, format="json").status_code for _ in range(3)]
    assert statuses == [201, 201, 429]
    limited = visitor.post(path, {"message": "hi"}, format="json")
    assert limited.json()["error"]["code"] == "throttled"
    assert int(limited["Retry-After"]) > 0
    assert limited["Access-Control-Allow-Origin"] == ORIGIN
    assert Case.objects.count() == 2
    elsewhere = APIClient(HTTP_ORIGIN=ORIGIN, REMOTE_ADDR="203.0.113.9")
    assert elsewhere.post(path, {"message": "hi"}, format="json").status_code == 201


def test_each_chat_has_its_own_budget(start_chat, low_rates):
    one, two = start_chat(), start_chat()
    assert [one.poll().status_code for _ in range(4)] == [200, 200, 200, 429]
    assert two.poll().status_code == 200


def test_another_chats_token_does_not_spend_its_budget(start_chat, low_rates):
    mine, theirs = start_chat(), start_chat()
    for _ in range(5):
        assert mine.poll(token=theirs.token).status_code == 403
    assert mine.poll().status_code == 200


def test_every_request_of_an_address_is_throttled(start_chat, monkeypatch):
    chat = start_chat()
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {"chat_address": "3/minute"})
    # The start was the address's first request.
    assert [chat.poll().status_code for _ in range(3)] == [200, 200, 429]


def test_the_default_rates_apply_when_settings_name_none(monkeypatch):
    from apps.chat.throttling import (
        DEFAULT_RATES,
        ChatAddressThrottle,
        ChatSessionThrottle,
        ChatStartThrottle,
    )

    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {})
    for throttle in (ChatAddressThrottle, ChatStartThrottle, ChatSessionThrottle):
        assert throttle().rate == DEFAULT_RATES[throttle.scope]
