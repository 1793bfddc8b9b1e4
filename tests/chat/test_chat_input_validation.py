"""What the widget sends is checked: field errors in the envelope, nothing written."""

import pytest

from apps.cases.models import Case

pytestmark = pytest.mark.django_db


def _start(visitor, widget, body):
    return visitor.post(
        f"/channels/chat/widgets/{widget.public_key}/sessions/", body, format="json"
    )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "message"),
        ({"message": ""}, "message"),
        ({"message": "x" * 5001}, "message"),
        ({"message": "hi", "email": "not an address"}, "email"),
        ({"message": "hi", "visitor_id": "someone-elses-id"}, "visitor_id"),
        ({"message": "hi", "team": 1}, "team"),
    ],
)
def test_a_bad_start_names_the_field(visitor, widget, body, field):
    response = _start(visitor, widget, body)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert field in error["fields"]
    assert not Case.objects.exists()


def test_a_body_that_is_not_json_is_a_400(visitor, widget):
    response = visitor.post(
        f"/channels/chat/widgets/{widget.public_key}/sessions/",
        "{not json",
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "malformed_request"


def test_form_encoded_bodies_are_refused(visitor, widget):
    response = visitor.post(
        f"/channels/chat/widgets/{widget.public_key}/sessions/", {"message": "hi"}
    )
    assert response.status_code == 415


@pytest.mark.parametrize("body", [{}, {"text": ""}, {"text": "hi", "extra": 1}])
def test_a_bad_message_names_the_field(start_chat, body):
    chat = start_chat()
    response = chat.client.post(
        f"/channels/chat/sessions/{chat.id}/messages/", body, format="json", **chat.headers()
    )
    assert response.status_code == 400
    assert response.json()["error"]["fields"]


@pytest.mark.parametrize("after", ["-1", "abc", str(2**64)])
def test_a_bad_poll_cursor_is_a_400(start_chat, after):
    chat = start_chat()
    response = chat.client.get(
        f"/channels/chat/sessions/{chat.id}/messages/", {"after": after}, **chat.headers()
    )
    assert response.status_code == 400
    assert "after" in response.json()["error"]["fields"]


def test_an_email_is_stored_in_its_normal_form(start_chat):
    from apps.chat.models import ChatSession

    chat = start_chat(email="  Ann@Example.COM ")
    assert ChatSession.objects.get(pk=chat.id).claimed_email == "ann@example.com"
