"""The inbound email log in the admin: failures first, headers and error readable, the raw
message downloadable, and failed messages re-processed by an action."""

import pytest
from django.urls import reverse

from apps.cases import services as case_services
from apps.mail import services
from apps.mail.models import InboundEmail

pytestmark = pytest.mark.django_db
LIST_URL = "/admin/mail/inboundemail/"


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.fixture
def failed(mailbox, make_email, monkeypatch):
    def boom(**kwargs):
        raise RuntimeError("storage unavailable")

    monkeypatch.setattr(case_services, "case_open", boom)
    inbound = services.email_receive(
        raw=make_email(subject="Will fail first"), source="imap", mailbox=mailbox
    )
    monkeypatch.undo()
    return inbound


def test_the_list_shows_failed_messages_first_with_their_error(
    admin_client, failed, mailbox, make_email, django_assert_max_num_queries
):
    for n in range(3):
        services.email_receive(
            raw=make_email(sender=f"c{n}@example.com"), source="imap", mailbox=mailbox
        )

    with django_assert_max_num_queries(12):
        response = admin_client.get(LIST_URL)

    assert response.status_code == 200
    rows = list(response.context["cl"].result_list)
    assert rows[0].pk == failed.pk
    assert rows[0].status == "failed"
    assert "RuntimeError: storage unavailable" in response.content.decode()


def test_the_list_filters_by_status_and_flags(admin_client, failed):
    for query in (
        "status__exact=failed",
        "is_auto_reply__exact=1",
        "is_bounce__exact=0",
        "source__exact=imap",
        "q=storage",
    ):
        assert admin_client.get(f"{LIST_URL}?{query}").status_code == 200, query
    response = admin_client.get(f"{LIST_URL}?status__exact=failed")
    assert [r.pk for r in response.context["cl"].result_list] == [failed.pk]


def test_the_detail_is_read_only_and_shows_headers_and_error(admin_client, failed):
    response = admin_client.get(reverse("admin:mail_inboundemail_change", args=[failed.pk]))

    content = response.content.decode()
    assert response.status_code == 200
    assert "Will fail first" in content  # the Subject header, decoded
    assert "storage unavailable" in content
    assert reverse("admin:mail_inboundemail_raw", args=[failed.pk]) in content
    assert 'name="_save"' not in content


def test_the_raw_message_downloads_as_eml(admin_client, failed):
    response = admin_client.get(reverse("admin:mail_inboundemail_raw", args=[failed.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "message/rfc822"
    assert f"inbound-{failed.pk}.eml" in response["Content-Disposition"]
    assert response.content == bytes(InboundEmail.objects.get(pk=failed.pk).raw)


def test_the_raw_download_needs_the_admin(client, failed):
    response = client.get(reverse("admin:mail_inboundemail_raw", args=[failed.pk]))

    assert response.status_code == 302  # to the admin login


def test_reprocess_selected_runs_failed_messages_again(admin_client, failed, mailbox, make_email):
    done = services.email_receive(raw=make_email(), source="imap", mailbox=mailbox)

    response = admin_client.post(
        LIST_URL,
        {"action": "reprocess_selected", "_selected_action": [failed.pk, done.pk]},
        follow=True,
    )

    assert response.status_code == 200
    failed.refresh_from_db()
    assert failed.status == "processed"
    assert failed.case is not None
    message = " ".join(str(m) for m in response.context["messages"])
    assert "Re-processed 1 message(s): 1 processed." in message
    assert "1 already processed or duplicate" in message


def test_inbound_emails_cannot_be_added_or_deleted(admin_client, failed):
    assert admin_client.get(f"{LIST_URL}add/").status_code == 403
    delete_url = reverse("admin:mail_inboundemail_delete", args=[failed.pk])
    assert admin_client.post(delete_url, {"post": "yes"}).status_code == 403
    assert InboundEmail.objects.filter(pk=failed.pk).exists()
