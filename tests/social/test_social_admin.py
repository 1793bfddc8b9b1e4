"""Admin: accounts with write-only tokens; the event log, read-only, with re-processing."""

import pytest
from django.urls import reverse

from apps.cases.models import Case
from apps.social.models import SocialAccount, SocialEvent
from tests.social.factories import (
    messaging_item,
    messenger_account,
    messenger_body,
    whatsapp_account,
    whatsapp_body,
    whatsapp_message,
)

pytestmark = pytest.mark.django_db


def _form(**overrides):
    data = {
        "network": "facebook",
        "external_id": "104000000000009",
        "name": "Acme Page",
        "team": "",
        "is_active": "on",
        "access_token": "",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_an_admin_adds_an_account_with_a_token_that_is_stored_encrypted(admin_client, team):
    response = admin_client.post(
        reverse("admin:social_socialaccount_add"),
        _form(team=team.pk, access_token="EAAG-secret-token"),
    )

    assert response.status_code == 302
    account = SocialAccount.objects.get()
    assert account.access_token == "EAAG-secret-token"
    assert account.team == team
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT access_token FROM social_socialaccount")
        assert cursor.fetchone()[0].startswith("fernet:")


def test_the_token_is_never_shown_and_an_empty_field_keeps_it(admin_client):
    account = messenger_account(access_token="EAAG-secret-token")
    url = reverse("admin:social_socialaccount_change", args=[account.pk])

    page = admin_client.get(url)

    assert page.status_code == 200
    assert b"EAAG-secret-token" not in page.content
    assert b"set (hidden)" in page.content

    admin_client.post(url, _form(external_id=account.external_id, name="Renamed"))

    account.refresh_from_db()
    assert account.name == "Renamed"
    assert account.access_token == "EAAG-secret-token"


def test_a_new_token_replaces_the_old_and_clearing_removes_it(admin_client):
    account = messenger_account(access_token="old")
    url = reverse("admin:social_socialaccount_change", args=[account.pk])

    admin_client.post(url, _form(external_id=account.external_id, access_token="new"))
    account.refresh_from_db()
    assert account.access_token == "new"

    admin_client.post(url, _form(external_id=account.external_id, clear_access_token="on"))
    account.refresh_from_db()
    assert account.access_token == ""


def test_one_account_per_network_id(admin_client):
    messenger_account()

    response = admin_client.post(
        reverse("admin:social_socialaccount_add"), _form(external_id="104000000000001")
    )

    assert response.status_code == 200  # the form again, with the error
    assert SocialAccount.objects.count() == 1


@pytest.mark.parametrize("model", ["socialaccount", "socialevent"])
def test_the_changelists_render_with_bounded_queries(
    admin_client, team, post_meta, model, django_assert_max_num_queries
):
    messenger_account(team=team)
    post_meta(messenger_body(*[messaging_item(sender=str(n)) for n in range(1, 21)]))
    post_meta(whatsapp_body(whatsapp_message(wa_id="123")))  # one failed event

    with django_assert_max_num_queries(10):
        response = admin_client.get(reverse(f"admin:social_{model}_changelist"))

    assert response.status_code == 200


def test_an_event_page_shows_the_raw_payload_and_cannot_be_edited(admin_client, post_meta):
    post_meta(whatsapp_body(whatsapp_message(text="kept raw", wamid="wamid.raw")))
    event = SocialEvent.objects.get()
    url = reverse("admin:social_socialevent_change", args=[event.pk])

    page = admin_client.get(url)

    assert page.status_code == 200
    assert b"kept raw" in page.content
    assert b"no active WhatsApp account" in page.content
    assert admin_client.post(url, {"status": "processed"}).status_code == 403
    delete = admin_client.post(
        reverse("admin:social_socialevent_delete", args=[event.pk]), {"post": "yes"}
    )
    assert delete.status_code == 403


def test_the_reprocess_action_turns_failed_events_into_cases(admin_client, team, post_meta):
    post_meta(
        whatsapp_body(
            whatsapp_message(wamid="wamid.a"),
            whatsapp_message(wamid="wamid.b", wa_id="16505550000"),
        )
    )
    whatsapp_account(team=team)

    response = admin_client.post(
        reverse("admin:social_socialevent_changelist"),
        {
            "action": "reprocess",
            "_selected_action": list(SocialEvent.objects.values_list("pk", flat=True)),
        },
        follow=True,
    )

    assert response.status_code == 200
    assert b"Re-processed: 2 processed." in response.content
    assert set(SocialEvent.objects.values_list("status", flat=True)) == {"processed"}
    assert Case.objects.count() == 2
