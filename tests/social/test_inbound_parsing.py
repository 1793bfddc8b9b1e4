"""Reading the networks' formats: tolerant of what varies, strict about what a message needs.
Pure functions: no database."""

from datetime import UTC, datetime

import pytest

from apps.social import inbound
from tests.social.factories import (
    PAGE_ID,
    X_ACCOUNT_ID,
    instagram_body,
    messaging_item,
    messenger_body,
    whatsapp_body,
    whatsapp_message,
    x_mention_body,
    x_tweet,
)


def _one(batch: inbound.Batch) -> inbound.InboundMessage:
    assert len(batch.pieces) == 1
    assert not batch.pieces[0].error
    piece = batch.pieces[0]
    return inbound.message_from(piece.network, piece.kind, piece.payload)


def test_a_messenger_postback_is_read_as_the_button_title():
    item = {
        "sender": {"id": "1"},
        "recipient": {"id": PAGE_ID},
        "timestamp": 1735689600000,
        "postback": {"mid": "m_pb", "title": "Track my order", "payload": "TRACK"},
    }

    message = _one(inbound.meta_pieces(messenger_body(item)))

    assert message.text == "Track my order"
    assert message.message_id == "m_pb"
    assert message.details == {"postback_payload": "TRACK"}
    assert message.occurred_at == datetime(2025, 1, 1, tzinfo=UTC)


def test_an_instagram_story_reply_keeps_the_story_and_attachments():
    item = messaging_item(
        sender="7",
        recipient="17841400000000001",
        text="love it",
        attachments=[{"type": "story_mention", "payload": {"url": "https://cdn.example/story"}}],
    )
    item["message"]["reply_to"] = {"story": {"url": "https://cdn.example/s", "id": "1"}}

    message = _one(inbound.meta_pieces(instagram_body(item)))

    assert message.details["reply_to_story"] == "https://cdn.example/s"
    assert message.body_text == "love it\n[story_mention] https://cdn.example/story"


def test_the_dashboard_test_payload_shape_is_read_as_a_dm():
    body = {
        "object": "instagram",
        "entry": [
            {
                "id": "0",
                "time": 1,
                "changes": [
                    {
                        "field": "messages",
                        "value": {
                            "sender": {"id": "12334"},
                            "recipient": {"id": "23245"},
                            "timestamp": "1527459824",
                            "message": {"mid": "random_mid", "text": "random_text"},
                        },
                    }
                ],
            }
        ],
    }

    message = _one(inbound.meta_pieces(body))

    assert (message.sender_id, message.account_external_id, message.text) == (
        "12334",
        "23245",
        "random_text",
    )


def test_a_page_feed_comment_is_kept_and_ignored_not_lost():
    body = {
        "object": "page",
        "entry": [
            {
                "id": PAGE_ID,
                "time": 1,
                "changes": [
                    {
                        "field": "feed",
                        "value": {
                            "item": "comment",
                            "verb": "add",
                            "comment_id": "1_2",
                            "from": {"id": "55", "name": "Ann"},
                            "message": "hey",
                        },
                    }
                ],
            }
        ],
    }

    batch = inbound.meta_pieces(body)

    assert len(batch.pieces) == 1
    assert batch.pieces[0].external_id == "1_2"
    with pytest.raises(inbound.NotAMessage):
        inbound.message_from("facebook", batch.pieces[0].kind, batch.pieces[0].payload)


def test_a_whatsapp_message_without_contacts_still_reads():
    body = whatsapp_body(whatsapp_message(text="hi"), contacts=[])

    message = _one(inbound.meta_pieces(body))

    assert message.sender_name == ""
    assert message.text == "hi"


@pytest.mark.parametrize(
    ("kind", "content", "text"),
    [
        (
            "document",
            {"id": "9", "filename": "invoice.pdf", "mime_type": "application/pdf"},
            "[document] invoice.pdf",
        ),
        ("button", {"text": "Stop promotions", "payload": "STOP"}, "Stop promotions"),
        ("unsupported", {}, "[unsupported message]"),
    ],
)
def test_whatsapp_message_types(kind, content, text):
    message = _one(inbound.meta_pieces(whatsapp_body(whatsapp_message(type=kind, content=content))))

    assert message.body_text == text


def test_whatsapp_reactions_are_skipped():
    reaction = whatsapp_message(type="reaction", content={"message_id": "wamid.x", "emoji": "👍"})

    batch = inbound.meta_pieces(whatsapp_body(reaction))

    assert batch.pieces == []
    assert batch.skipped == 1


def test_an_x_mention_without_timestamp_ms_uses_created_at():
    tweet = x_tweet(text="@AcmeSupport hi")
    del tweet["timestamp_ms"]
    tweet["extended_tweet"] = {"full_text": "@AcmeSupport hi, the full text of a long tweet"}

    message = _one(inbound.x_pieces(x_mention_body(tweet)))

    assert message.occurred_at == datetime(2025, 1, 1, 0, 0, 5, tzinfo=UTC)
    assert message.text == "@AcmeSupport hi, the full text of a long tweet"
    assert message.account_external_id == X_ACCOUNT_ID


def test_a_missing_sender_is_unreadable_with_a_clear_reason():
    item = {"recipient": {"id": PAGE_ID}, "message": {"mid": "m_1", "text": "x"}}
    piece = inbound.meta_pieces(messenger_body(item)).pieces[0]

    with pytest.raises(inbound.Unreadable, match="sender.id is missing"):
        inbound.message_from(piece.network, piece.kind, piece.payload)


def test_a_long_first_line_is_cut_for_the_subject():
    message = inbound.InboundMessage(
        network="x",
        kind="dm",
        account_external_id="1",
        message_id="2",
        sender_id="3",
        text="word " * 40,
    )

    assert len(message.subject) <= 100
    assert message.subject.endswith("…")
