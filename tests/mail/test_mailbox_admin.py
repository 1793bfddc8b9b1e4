"""The Mailbox admin: secrets write-only, polling state read-only, "poll now", "test connection"."""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.messages import get_messages
from django.urls import reverse

from apps.mail.models import InboundEmail, Mailbox
from tests.mail.imap_server import (
    SUPPORT,
    mailbox_on,
    message,
)

pytestmark = pytest.mark.django_db

PASSWORD = "imap-pw-s3cret-value"


@pytest.fixture
def mailbox(db):
    return Mailbox.objects.create(
        name="Support",
        email_address="support@example.com",
        imap_host="imap.example.com",
        imap_username="support@example.com",
        imap_password=PASSWORD,
        oauth2_client_secret="client-s3cret",
        oauth2_refresh_token="refresh-s3cret",
    )


def form_data(mailbox: Mailbox, **changes) -> dict:
    data = {
        "name": mailbox.name,
        "email_address": mailbox.email_address,
        "team": "",
        "is_active": "on",
        "imap_host": mailbox.imap_host,
        "imap_port": mailbox.imap_port,
        "imap_security": mailbox.imap_security,
        "imap_username": mailbox.imap_username,
        "auth_method": mailbox.auth_method,
        "imap_password": "",
        "oauth2_token_url": "",
        "oauth2_client_id": "",
        "oauth2_client_secret": "",
        "oauth2_refresh_token": "",
        "imap_folder": mailbox.imap_folder,
        "processed_folder": "",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def change_url(mailbox: Mailbox) -> str:
    return reverse("admin:mail_mailbox_change", args=[mailbox.pk])


def test_the_change_page_never_shows_a_secret(admin_client, mailbox):
    response = admin_client.get(change_url(mailbox))

    assert response.status_code == 200
    for secret in (PASSWORD, "client-s3cret", "refresh-s3cret"):
        assert secret.encode() not in response.content
    assert b'type="password"' in response.content
    assert b"A value is stored (encrypted)" in response.content


def test_a_blank_secret_keeps_the_stored_one(admin_client, mailbox):
    response = admin_client.post(change_url(mailbox), form_data(mailbox, name="Support desk"))

    assert response.status_code == 302, response.context["adminform"].form.errors
    mailbox.refresh_from_db()
    assert mailbox.name == "Support desk"
    assert mailbox.imap_password == PASSWORD
    assert mailbox.oauth2_client_secret == "client-s3cret"
    assert mailbox.oauth2_refresh_token == "refresh-s3cret"


def test_a_typed_secret_replaces_the_stored_one(admin_client, mailbox):
    response = admin_client.post(
        change_url(mailbox), form_data(mailbox, imap_password="new-password")
    )

    assert response.status_code == 302
    mailbox.refresh_from_db()
    assert mailbox.imap_password == "new-password"


def test_a_new_refresh_token_forgets_the_cached_access_token(admin_client, mailbox):
    Mailbox.objects.filter(pk=mailbox.pk).update(oauth2_access_token="cached")

    admin_client.post(
        change_url(mailbox),
        form_data(
            mailbox,
            auth_method="xoauth2",
            oauth2_token_url="https://login.example.com/token",
            oauth2_refresh_token="refresh-2",
        ),
    )

    mailbox.refresh_from_db()
    assert mailbox.oauth2_refresh_token == "refresh-2"
    assert mailbox.oauth2_access_token == ""


def test_a_new_mailbox_needs_its_password(admin_client, db):
    blank = Mailbox(name="New", email_address="new@example.com", imap_host="imap.example.com")
    response = admin_client.post(reverse("admin:mail_mailbox_add"), form_data(blank))

    assert response.status_code == 200
    assert "imap_password" in response.context["adminform"].form.errors
    assert not Mailbox.objects.filter(email_address="new@example.com").exists()


def test_plain_imap_without_allow_insecure_is_a_form_error(admin_client, mailbox):
    response = admin_client.post(change_url(mailbox), form_data(mailbox, imap_security="none"))

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "sends the password in clear" in errors["imap_security"][0]


def test_polling_state_is_read_only(admin_client, mailbox):
    Mailbox.objects.filter(pk=mailbox.pk).update(
        last_uid=42, uidvalidity=7, last_error="login refused"
    )

    admin_client.post(
        change_url(mailbox), form_data(mailbox, last_uid="0", uidvalidity="1", last_error="")
    )

    mailbox.refresh_from_db()
    assert (mailbox.last_uid, mailbox.uidvalidity, mailbox.last_error) == (42, 7, "login refused")
    page = admin_client.get(change_url(mailbox)).content
    assert b"error: login refused" in page


def test_the_changelist_renders(admin_client, mailbox, django_assert_max_num_queries):
    Mailbox.objects.create(name="Hooks", email_address="hooks@example.com")
    with django_assert_max_num_queries(8):
        response = admin_client.get(reverse("admin:mail_mailbox_changelist"))
    assert response.status_code == 200
    assert b"no IMAP" in response.content


def run_action(client, action: str, mailbox: Mailbox):
    return client.post(
        reverse("admin:mail_mailbox_changelist"),
        {"action": action, ACTION_CHECKBOX_NAME: [mailbox.pk]},
        follow=True,
    )


def test_poll_now_polls_the_mailbox(admin_client, imap_server, received):
    mailbox = mailbox_on(imap_server)
    imap_server.append(SUPPORT, message(1))

    response = run_action(admin_client, "poll_now", mailbox)

    texts = [str(m) for m in get_messages(response.wsgi_request)]
    assert texts == ["Polling asked for 1 mailbox(es); the state column shows the outcome."]
    assert len(received.calls) == 1  # tasks run eagerly in tests
    assert InboundEmail.objects.filter(mailbox=mailbox).count() == 1


def test_test_connection_reports_the_message_count(admin_client, imap_server):
    mailbox = mailbox_on(imap_server)
    imap_server.append(SUPPORT, message(1))
    imap_server.append(SUPPORT, message(2))

    response = run_action(admin_client, "test_connection", mailbox)

    messages = [(m.level_tag, str(m)) for m in get_messages(response.wsgi_request)]
    assert messages == [("success", f"{SUPPORT}: connected; 2 message(s) in INBOX.")]


def test_test_connection_reports_the_error(admin_client, imap_server):
    mailbox = mailbox_on(imap_server)
    Mailbox.objects.filter(pk=mailbox.pk).update(imap_password="wrong")

    response = run_action(admin_client, "test_connection", mailbox)

    [msg] = list(get_messages(response.wsgi_request))
    assert msg.level_tag == "error"
    assert str(msg).startswith(f"{SUPPORT}: login refused by the server")


def test_saving_the_form_does_not_revert_what_a_poll_wrote_meanwhile(mailbox):
    from apps.mail.admin_mailbox import MailboxForm

    form = MailboxForm(form_data(mailbox, name="Support desk"), instance=mailbox)
    assert form.is_valid(), form.errors
    Mailbox.objects.filter(pk=mailbox.pk).update(
        last_uid=150, uidvalidity=9, oauth2_access_token="refreshed"
    )

    form.save()

    mailbox.refresh_from_db()
    assert mailbox.name == "Support desk"
    assert (mailbox.last_uid, mailbox.uidvalidity) == (150, 9)
    assert mailbox.oauth2_access_token == "refreshed"


def test_the_processed_folder_must_differ_from_the_folder_read(admin_client, mailbox):
    response = admin_client.post(
        change_url(mailbox), form_data(mailbox, imap_folder="INBOX", processed_folder="inbox")
    )

    assert response.status_code == 200
    assert "processed_folder" in response.context["adminform"].form.errors
