"""A message delivered twice (same network message id) is stored once."""

import pytest

from apps.cases.models import Case, CaseEvent, Interaction
from apps.contacts.models import Contact
from apps.social.models import SocialEvent
from tests.social.factories import (
    messaging_item,
    messenger_account,
    messenger_body,
    whatsapp_account,
    whatsapp_body,
    whatsapp_message,
    x_account,
    x_dm_body,
)

pytestmark = pytest.mark.django_db


def _counts():
    return (
        Case.objects.count(),
        Interaction.objects.count(),
        Contact.objects.count(),
        CaseEvent.objects.count(),
        SocialEvent.objects.count(),
    )


def test_a_redelivered_messenger_message_creates_nothing_new(post_meta, team):
    messenger_account(team=team)
    body = messenger_body(messaging_item(mid="m_same"))
    post_meta(body)
    before = _counts()

    response = post_meta(body)

    assert response.status_code == 200
    assert response.json() == {
        "received": 1,
        "processed": 0,
        "duplicates": 1,
        "ignored": 0,
        "failed": 0,
    }
    assert _counts() == before


def test_the_same_message_twice_in_one_batch_is_stored_once(post_meta, team):
    whatsapp_account(team=team)
    message = whatsapp_message(wamid="wamid.twice")

    response = post_meta(whatsapp_body(message, dict(message)))

    assert response.json()["processed"] == 1
    assert response.json()["duplicates"] == 1
    assert Interaction.objects.filter(external_id="wamid.twice").count() == 1


def test_a_redelivered_x_dm_creates_nothing_new(post_x, team):
    x_account(team=team)
    body = x_dm_body(event_id="1800000000000000777")
    post_x(body)
    before = _counts()

    assert post_x(body).json()["duplicates"] == 1
    assert _counts() == before


def test_a_message_already_stored_as_an_interaction_is_linked_not_copied(post_meta, team):
    account = messenger_account(team=team)
    post_meta(messenger_body(messaging_item(mid="m_known")))
    SocialEvent.objects.all().delete()  # e.g. the event log was pruned

    response = post_meta(messenger_body(messaging_item(mid="m_known")))

    assert response.json()["processed"] == 1
    assert Interaction.objects.filter(external_id="m_known").count() == 1
    event = SocialEvent.objects.get()
    assert event.interaction == Interaction.objects.get()
    assert event.account == account
