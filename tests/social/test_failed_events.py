"""A bad event inside a valid batch is kept raw with its error; the rest of the batch goes
through; the provider gets 200; the event can be re-processed once the cause is fixed."""

import pytest

from apps.cases.models import Case, Interaction
from apps.social import services
from apps.social.models import SocialEvent
from tests.social.factories import (
    PAGE_ID,
    messaging_item,
    messenger_account,
    messenger_body,
    whatsapp_account,
    whatsapp_body,
    whatsapp_message,
)

pytestmark = pytest.mark.django_db
Status = SocialEvent.Status


def test_an_unreadable_entry_is_kept_and_the_others_are_processed(post_meta, team):
    messenger_account(team=team)
    body = messenger_body(
        messaging_item(text="good one"),
        {"recipient": {"id": PAGE_ID}, "message": {"mid": "m_nobody", "text": "who am I?"}},
        "not an object",
        messaging_item(text="another good one"),
    )
    body["entry"].append(17)

    response = post_meta(body)

    assert response.status_code == 200
    assert response.json() == {
        "received": 5,
        "processed": 2,
        "duplicates": 0,
        "ignored": 0,
        "failed": 3,
    }
    assert Interaction.objects.count() == 2
    failed = SocialEvent.objects.filter(status=Status.FAILED).order_by("id")
    assert [e.error for e in failed] == [
        "messaging.sender.id is missing",
        "a messaging event is not a JSON object",
        "an entry is not a JSON object",
    ]
    assert failed[0].payload["messaging"]["message"]["text"] == "who am I?"
    assert failed[1].payload["raw"] == "not an object"
    assert failed[2].payload["entry"] == 17


def test_a_message_to_an_unknown_account_is_kept_until_the_account_is_added(post_meta, team):
    body = whatsapp_body(whatsapp_message(text="hello?", wamid="wamid.early"))

    response = post_meta(body)

    assert response.status_code == 200
    assert response.json()["failed"] == 1
    event = SocialEvent.objects.get()
    assert event.status == Status.FAILED
    assert "Social accounts" in event.error
    assert not Case.objects.exists()

    whatsapp_account(team=team)
    event = services.event_reprocess(event_id=event.pk)

    assert event.status == Status.PROCESSED
    assert event.attempts == 2
    assert Case.objects.get().interactions.get().external_id == "wamid.early"


def test_an_inactive_account_receives_nothing_but_loses_nothing(post_meta, team):
    account = messenger_account(team=team, is_active=False)

    post_meta(messenger_body(messaging_item()))

    event = SocialEvent.objects.get()
    assert event.status == Status.FAILED
    assert event.account == account
    assert not Case.objects.exists()


def test_a_redelivery_of_a_failed_message_is_processed_again(post_meta, team):
    body = whatsapp_body(whatsapp_message(wamid="wamid.retry"))
    post_meta(body)
    whatsapp_account(team=team)

    response = post_meta(body)

    assert response.json()["duplicates"] == 1
    assert SocialEvent.objects.get().status == Status.PROCESSED
    assert Interaction.objects.filter(external_id="wamid.retry").count() == 1


def test_an_invalid_whatsapp_number_fails_with_the_reason(post_meta, team):
    whatsapp_account(team=team)

    post_meta(whatsapp_body(whatsapp_message(wa_id="123")))

    event = SocialEvent.objects.get()
    assert event.status == Status.FAILED
    assert "not a valid phone number" in event.error


def test_a_bug_while_storing_one_event_rolls_back_that_event_only(post_meta, team, monkeypatch):
    messenger_account(team=team)
    from apps.cases import services as case_services

    real_open = case_services.case_open
    calls = []

    def flaky_open(**kwargs):
        calls.append(1)
        case = real_open(**kwargs)
        if len(calls) == 1:
            raise RuntimeError("boom after the case was written")
        return case

    monkeypatch.setattr(case_services, "case_open", flaky_open)

    response = post_meta(messenger_body(messaging_item(sender="1"), messaging_item(sender="2")))

    assert response.json()["failed"] == 1
    assert response.json()["processed"] == 1
    assert Case.objects.count() == 1  # the first case was rolled back with its event
    assert SocialEvent.objects.get(status=Status.FAILED).error == (
        "RuntimeError: boom after the case was written"
    )
