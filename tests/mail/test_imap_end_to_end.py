"""From an IMAP server to cases, through the real ingestion (apps.mail.services)."""

import pytest

from apps.cases.models import Case, Interaction
from apps.mail import imap, services
from apps.mail.models import InboundEmail
from tests.mail.imap_server import SUPPORT, mailbox_on, message

pytestmark = pytest.mark.django_db
Status = InboundEmail.Status


@pytest.fixture
def mailbox(imap_server, team):
    return mailbox_on(imap_server, team=team)


def reply_to(n: int, parent: int) -> bytes:
    return message(n, subject=f"Re: Question {parent}").replace(
        b"MIME-Version", f"In-Reply-To: <question-{parent}@example.net>\r\nMIME-Version".encode()
    )


def test_polled_messages_become_cases(imap_server, mailbox, team):
    imap_server.append(SUPPORT, message(1))
    imap_server.append(SUPPORT, reply_to(2, parent=1))
    imap_server.append(SUPPORT, message(3))

    assert imap.mailbox_poll(mailbox_id=mailbox.pk) == 3

    inbound = list(InboundEmail.objects.filter(mailbox=mailbox).order_by("imap_uid"))
    assert [i.status for i in inbound] == [Status.PROCESSED] * 3
    assert [i.imap_uid for i in inbound] == imap_server.uids(SUPPORT)
    assert inbound[0].case_id == inbound[1].case_id != inbound[2].case_id
    case = Case.objects.get(pk=inbound[0].case_id)
    assert case.team == team
    assert case.subject == "Question 1"
    assert case.requester.identities.get().value == "ann@example.net"
    assert case.interactions.count() == 2


def test_polling_again_after_a_crash_before_last_uid_moved_stores_nothing_twice(
    imap_server, mailbox
):
    imap_server.append(SUPPORT, message(1))
    imap_server.append(SUPPORT, message(2))
    imap.mailbox_poll(mailbox_id=mailbox.pk)
    mailbox.__class__.objects.filter(pk=mailbox.pk).update(last_uid=0)

    imap.mailbox_poll(mailbox_id=mailbox.pk)

    assert InboundEmail.objects.filter(mailbox=mailbox).count() == 2
    assert Interaction.objects.count() == 2
    assert Case.objects.count() == 2


def test_a_crash_mid_batch_then_a_re_poll_stores_each_message_once(
    imap_server, mailbox, monkeypatch
):
    for n in range(1, 6):
        imap_server.append(SUPPORT, message(n))
    real = services.email_receive
    calls = []

    def flaky(**kwargs):
        calls.append(kwargs["imap_uid"])
        if len(calls) == 3:
            raise ConnectionError("the database went away")
        return real(**kwargs)

    monkeypatch.setattr(services, "email_receive", flaky)
    assert imap.mailbox_poll(mailbox_id=mailbox.pk) == 2
    monkeypatch.setattr(services, "email_receive", real)

    assert imap.mailbox_poll(mailbox_id=mailbox.pk) == 3

    rows = InboundEmail.objects.filter(mailbox=mailbox)
    assert sorted(rows.values_list("imap_uid", flat=True)) == imap_server.uids(SUPPORT)
    assert set(rows.values_list("status", flat=True)) == {Status.PROCESSED}
    assert Interaction.objects.count() == 5


def test_a_renumbered_folder_is_not_ingested_twice(imap_server, mailbox):
    imap_server.append(SUPPORT, message(1))
    imap_server.append(SUPPORT, message(2))
    imap.mailbox_poll(mailbox_id=mailbox.pk)

    imap_server.renumber(SUPPORT)
    imap_server.append(SUPPORT, message(3))

    assert imap.mailbox_poll(mailbox_id=mailbox.pk) == 1
    assert InboundEmail.objects.filter(mailbox=mailbox).count() == 3
    assert Interaction.objects.count() == 3
