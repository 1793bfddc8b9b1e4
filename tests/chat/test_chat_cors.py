"""Browsers get answers only on the websites a widget allows; refused origins write nothing."""

import pytest
from django.core.exceptions import ValidationError
from rest_framework.test import APIClient

from apps.cases.models import Case
from apps.chat.models import ChatWidget, normalize_origin
from tests.chat.conftest import ORIGIN

pytestmark = pytest.mark.django_db
EVIL = "https://evil.example.net"


def _preflight(client, path, origin, method="POST"):
    return client.options(
        path,
        HTTP_ORIGIN=origin,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD=method,
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="content-type,x-chat-token",
    )


def test_the_preflight_of_an_allowed_origin_is_answered(widget):
    response = _preflight(
        APIClient(), f"/channels/chat/widgets/{widget.public_key}/sessions/", ORIGIN
    )
    assert response.status_code == 204
    assert response["Access-Control-Allow-Origin"] == ORIGIN
    assert "POST" in response["Access-Control-Allow-Methods"]
    assert "X-Chat-Token" in response["Access-Control-Allow-Headers"]
    assert "Origin" in response["Vary"]


def test_the_preflight_of_another_origin_is_refused(widget):
    response = _preflight(
        APIClient(), f"/channels/chat/widgets/{widget.public_key}/sessions/", EVIL
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "origin_not_allowed"
    assert not response.has_header("Access-Control-Allow-Origin")


def test_session_preflights_are_checked_against_the_sessions_widget(start_chat):
    chat = start_chat()
    path = f"/channels/chat/sessions/{chat.id}/messages/"
    allowed = _preflight(APIClient(), path, ORIGIN, method="GET")
    assert allowed.status_code == 204
    assert allowed["Access-Control-Allow-Origin"] == ORIGIN
    assert "GET" in allowed["Access-Control-Allow-Methods"]
    refused = _preflight(APIClient(), path, EVIL, method="GET")
    assert refused.status_code == 403
    assert not refused.has_header("Access-Control-Allow-Origin")


def test_requests_from_an_allowed_origin_carry_cors_headers_even_when_they_fail(start_chat):
    chat = start_chat()
    assert chat.poll()["Access-Control-Allow-Origin"] == ORIGIN
    failed = chat.say("")
    assert failed.status_code == 400
    assert failed["Access-Control-Allow-Origin"] == ORIGIN
    forged = chat.poll(token="forged")
    assert forged.status_code == 401
    assert forged["Access-Control-Allow-Origin"] == ORIGIN


def test_a_refused_origin_opens_no_case(widget):
    evil = APIClient(HTTP_ORIGIN=EVIL)
    response = evil.post(
        f"/channels/chat/widgets/{widget.public_key}/sessions/", {"message": "hi"}, format="json"
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "origin_not_allowed"
    assert not response.has_header("Access-Control-Allow-Origin")
    assert not Case.objects.exists()


def test_a_refused_origin_cannot_use_a_chat_even_with_its_token(start_chat):
    chat = start_chat()
    evil = APIClient(HTTP_ORIGIN=EVIL)
    response = evil.get(f"/channels/chat/sessions/{chat.id}/messages/", **chat.headers())
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "origin_not_allowed"


@pytest.mark.parametrize(
    "origin", ["null", "file://", "https://shop.example.com.evil.net", "http://shop.example.com"]
)
def test_lookalike_origins_are_refused(widget, origin):
    response = APIClient(HTTP_ORIGIN=origin).get(f"/channels/chat/widgets/{widget.public_key}/")
    assert response.status_code == 403


def test_cxdesk_itself_and_clients_without_origin_are_not_cors(widget):
    own = APIClient(HTTP_ORIGIN="http://testserver")  # the demo page, served by cxdesk
    response = own.post(
        f"/channels/chat/widgets/{widget.public_key}/sessions/",
        {"message": "from the demo page"},
        format="json",
    )
    assert response.status_code == 201
    assert not response.has_header("Access-Control-Allow-Origin")
    no_origin = APIClient().get(f"/channels/chat/widgets/{widget.public_key}/")
    assert no_origin.status_code == 200


def test_origins_match_in_their_normal_form(team):
    widget = ChatWidget.objects.create(
        name="w", team=team, allowed_origins=["HTTPS://Shop.Example.com:443/"]
    )
    assert widget.allows_origin("https://shop.example.com")
    assert not widget.allows_origin("https://shop.example.com:8443")
    assert normalize_origin("http://[::1]:8000") == "http://[::1]:8000"
    assert normalize_origin("https://shop.example.com/path") is None
    assert normalize_origin("ftp://shop.example.com") is None


@pytest.mark.parametrize("origins", ["https://a.example", ["https://a.example/x"], ["*"], [3]])
def test_the_admin_refuses_a_malformed_origin_list(team, origins):
    widget = ChatWidget(name="w", team=team, allowed_origins=origins)
    with pytest.raises(ValidationError) as error:
        widget.full_clean()
    assert "allowed_origins" in error.value.message_dict
