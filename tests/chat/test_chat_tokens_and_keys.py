"""Bad widget keys and tokens get a clear 4xx in the error envelope, never a 500, and
nothing is written."""

import pytest
from django.core import signing

from apps.cases.models import Case, Interaction
from apps.chat import tokens
from apps.chat.models import ChatSession
from tests.chat.factories import ChatWidgetFactory

pytestmark = pytest.mark.django_db


def _error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    error = response.json()["error"]
    assert error["status"] == status
    assert error["code"] == code
    assert error["message"]
    return error


def test_an_unknown_widget_key_is_a_404(visitor):
    response = visitor.post(
        "/channels/chat/widgets/cw_nope/sessions/", {"message": "hi"}, format="json"
    )
    _error(response, 404, "unknown_widget")
    _error(visitor.get("/channels/chat/widgets/cw_nope/"), 404, "unknown_widget")
    assert not Case.objects.exists()


def test_an_inactive_widget_starts_no_chat(visitor, team):
    widget = ChatWidgetFactory(is_active=False, team=team)
    response = visitor.post(
        f"/channels/chat/widgets/{widget.public_key}/sessions/", {"message": "hi"}, format="json"
    )
    _error(response, 403, "widget_inactive")
    assert not Case.objects.exists()
    assert (
        visitor.get(f"/channels/chat/widgets/{widget.public_key}/").json()["accepting_chats"]
        is False
    )


def test_chats_under_way_go_on_when_their_widget_is_deactivated(start_chat, widget):
    chat = start_chat()
    widget.is_active = False
    widget.save()
    assert chat.say("still there?").status_code == 201


@pytest.mark.parametrize("token", ["", "garbage", "e30:1tXyZ:abc", "a" * 500])
def test_a_missing_or_forged_token_is_refused(start_chat, token):
    chat = start_chat()
    expected = "chat_token_missing" if not token else "invalid_chat_token"
    _error(chat.say("hi", token=token), 401, expected)
    _error(chat.poll(token=token), 401, expected)
    _error(chat.end(token=token), 401, expected)
    assert Interaction.objects.count() == 1
    assert ChatSession.objects.get(pk=chat.id).status == "active"


def test_a_token_signed_with_another_key_or_salt_is_refused(start_chat, settings):
    chat = start_chat()
    session = ChatSession.objects.get(pk=chat.id)
    other_salt = signing.dumps({"s": session.pk, "v": session.visitor_id}, salt="other")
    other_key = signing.dumps(
        {"s": session.pk, "v": session.visitor_id}, salt=tokens.SALT, key="not-the-secret-key"
    )
    for token in (other_salt, other_key):
        _error(chat.say("hi", token=token), 401, "invalid_chat_token")


def test_a_validly_signed_payload_that_is_not_a_session_token_is_refused(start_chat):
    chat = start_chat()
    token = signing.dumps(["not", "a", "dict"], salt=tokens.SALT)
    _error(chat.poll(token=token), 401, "invalid_chat_token")


def test_another_sessions_token_is_refused(start_chat):
    mine = start_chat("mine")
    theirs = start_chat("theirs")
    _error(mine.poll(token=theirs.token), 403, "chat_token_mismatch")
    _error(mine.say("hijack", token=theirs.token), 403, "chat_token_mismatch")
    _error(mine.end(token=theirs.token), 403, "chat_token_mismatch")
    assert ChatSession.objects.get(pk=mine.id).status == "active"
    assert not Interaction.objects.filter(body_text="hijack").exists()


def test_an_expired_token_is_refused(start_chat, monkeypatch):
    chat = start_chat()
    monkeypatch.setattr(tokens, "MAX_AGE_SECONDS", -1)  # any age is too old
    _error(chat.poll(), 401, "chat_token_expired")


@pytest.mark.parametrize("session_id", ["999999", str(2**63), str(10**30)])
def test_an_unknown_session_is_a_404(start_chat, visitor, session_id):
    chat = start_chat()
    response = visitor.get(
        f"/channels/chat/sessions/{session_id}/messages/", HTTP_X_CHAT_TOKEN=chat.token
    )
    _error(response, 404, "unknown_chat")
