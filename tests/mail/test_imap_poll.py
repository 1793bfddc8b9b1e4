"""IMAP polling against a real IMAP server on 127.0.0.1 (pymap, see imap_server.py).

Ingestion itself is replaced by a recorder here: these tests are about what the poller
fetches, stores, skips and moves. test_imap_end_to_end.py goes through the real ingestion.
"""

from datetime import timedelta

import pytest
from django.db import IntegrityError
from django.utils import timezone

from apps.mail import imap
from apps.mail.models import InboundEmail, Mailbox
from tests.mail.imap_server import (
    SUPPORT,
    mailbox_on,
    message,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def mailbox(imap_server) -> Mailbox:
    return mailbox_on(imap_server)


def test_the_first_poll_stores_every_message_of_the_folder(imap_server, mailbox, received):
    for n in (1, 2, 3):
        imap_server.append(SUPPORT, message(n))

    stored = imap.mailbox_poll(mailbox_id=mailbox.pk)

    assert stored == 3
    assert received.uids == imap_server.uids(SUPPORT)
    assert [c["raw"] for c in received.calls] == [message(1), message(2), message(3)]
    assert {c["source"] for c in received.calls} == {InboundEmail.Source.IMAP}
    mailbox.refresh_from_db()
    assert mailbox.last_uid == max(received.uids)
    assert mailbox.uidvalidity == received.calls[0]["uidvalidity"] is not None
    assert mailbox.last_error == ""
    assert timezone.now() - timedelta(minutes=1) < mailbox.last_polled_at <= timezone.now()
    assert InboundEmail.objects.filter(mailbox=mailbox).count() == 3


def test_a_second_poll_stores_nothing_new(imap_server, mailbox, received):
    imap_server.append(SUPPORT, message(1))
    imap_server.append(SUPPORT, message(2))
    imap.mailbox_poll(mailbox_id=mailbox.pk)

    assert imap.mailbox_poll(mailbox_id=mailbox.pk) == 0
    assert len(received.calls) == 2


def test_only_a_message_that_arrived_since_is_fetched(imap_server, mailbox, received):
    imap_server.append(SUPPORT, message(1))
    imap_server.append(SUPPORT, message(2))
    imap.mailbox_poll(mailbox_id=mailbox.pk)

    imap_server.append(SUPPORT, message(3))
    stored = imap.mailbox_poll(mailbox_id=mailbox.pk)

    assert stored == 1
    newest = imap_server.uids(SUPPORT)[-1]
    assert received.uids[2:] == [newest]
    assert received.calls[2]["raw"] == message(3)
    mailbox.refresh_from_db()
    assert mailbox.last_uid == newest


def test_messages_are_left_in_place_and_unread(imap_server, mailbox, received):
    imap_server.append(SUPPORT, message(1))

    imap.mailbox_poll(mailbox_id=mailbox.pk)

    with imap_server.client(SUPPORT) as client:
        client.select_folder("INBOX", readonly=True)
        flags = client.get_flags(client.search("ALL"))
    assert len(flags) == 1
    assert all(b"\\Seen" not in f and b"\\Deleted" not in f for f in flags.values())


def test_a_changed_uidvalidity_reads_the_folder_again_without_storing_twice(
    imap_server, mailbox, received
):
    imap_server.append(SUPPORT, message(1))
    imap_server.append(SUPPORT, message(2))
    imap.mailbox_poll(mailbox_id=mailbox.pk)
    mailbox.refresh_from_db()
    old_uidvalidity = mailbox.uidvalidity

    imap_server.renumber(SUPPORT)  # new UIDVALIDITY; both messages back with new UIDs
    imap_server.append(SUPPORT, message(3))
    stored = imap.mailbox_poll(mailbox_id=mailbox.pk)

    mailbox.refresh_from_db()
    assert mailbox.uidvalidity != old_uidvalidity
    assert stored == 1  # only the new message: the other two were recognised by Message-ID
    assert received.calls[-1]["raw"] == message(3)
    assert received.calls[-1]["uidvalidity"] == mailbox.uidvalidity
    assert mailbox.last_uid == max(imap_server.uids(SUPPORT))
    assert InboundEmail.objects.filter(mailbox=mailbox).count() == 3
    assert imap.mailbox_poll(mailbox_id=mailbox.pk) == 0


def test_after_a_renumbering_a_message_without_message_id_is_stored_again(
    imap_server, mailbox, received
):
    """Without a Message-ID nothing tells the old copy from a new message: better twice
    (ingestion de-duplicates by content) than lost."""
    raw = message(1).replace(b"Message-ID: <question-1@example.net>\r\n", b"")
    imap_server.append(SUPPORT, raw)
    imap.mailbox_poll(mailbox_id=mailbox.pk)

    imap_server.renumber(SUPPORT)

    assert imap.mailbox_poll(mailbox_id=mailbox.pk) == 1


def test_a_crash_in_the_middle_of_a_batch_loses_and_duplicates_nothing(
    imap_server, mailbox, received
):
    for n in range(1, 6):
        imap_server.append(SUPPORT, message(n))
    uids = imap_server.uids(SUPPORT)
    received.fail_on_call = 3

    stored = imap.mailbox_poll(mailbox_id=mailbox.pk)

    mailbox.refresh_from_db()
    assert stored == 2
    assert mailbox.last_uid == uids[1]  # not past the message that failed
    assert f"UID {uids[2]}" in mailbox.last_error
    assert "database went away" in mailbox.last_error

    received.fail_on_call = None
    assert imap.mailbox_poll(mailbox_id=mailbox.pk) == 3

    mailbox.refresh_from_db()
    assert mailbox.last_error == ""
    assert mailbox.last_uid == uids[-1]
    stored_uids = sorted(
        InboundEmail.objects.filter(mailbox=mailbox).values_list("imap_uid", flat=True)
    )
    assert stored_uids == uids  # every message once
    assert received.uids == [*uids[:3], *uids[2:]]  # only the failed one was fetched twice


def test_a_redelivery_after_a_crash_before_last_uid_moved_is_stored_once(
    imap_server, mailbox, received
):
    imap_server.append(SUPPORT, message(1))
    imap_server.append(SUPPORT, message(2))
    imap.mailbox_poll(mailbox_id=mailbox.pk)
    # the worker died after storing but before recording where it got to
    Mailbox.objects.filter(pk=mailbox.pk).update(last_uid=0)

    imap.mailbox_poll(mailbox_id=mailbox.pk)

    assert len(received.calls) == 4  # fetched again …
    assert InboundEmail.objects.filter(mailbox=mailbox).count() == 2  # … stored once


def test_the_same_imap_uid_cannot_be_stored_twice(mailbox):
    """What makes a redelivery harmless: the unique (mailbox, uidvalidity, uid)."""
    row = {
        "mailbox": mailbox,
        "source": "imap",
        "raw": b"x",
        "raw_sha256": "0" * 64,
        "imap_uidvalidity": 7,
        "imap_uid": 101,
    }
    InboundEmail.objects.create(**row)
    with pytest.raises(IntegrityError):
        InboundEmail.objects.create(**row)


def test_a_poll_takes_a_bounded_batch_and_the_next_poll_the_rest(imap_server, mailbox, received):
    for n in range(1, 6):
        imap_server.append(SUPPORT, message(n))

    assert imap.mailbox_poll(mailbox_id=mailbox.pk, limit=2) == 2
    assert imap.mailbox_poll(mailbox_id=mailbox.pk, limit=2) == 2
    assert imap.mailbox_poll(mailbox_id=mailbox.pk, limit=2) == 1
    assert imap.mailbox_poll(mailbox_id=mailbox.pk, limit=2) == 0
    assert received.uids == imap_server.uids(SUPPORT)


def test_the_default_batch_is_two_hundred():
    assert imap.BATCH_SIZE == 200


def test_stored_messages_are_moved_to_the_processed_folder(imap_server, received):
    mailbox = mailbox_on(imap_server, processed_folder="Processed")
    imap_server.append(SUPPORT, message(1))
    imap_server.append(SUPPORT, message(2))

    assert imap.mailbox_poll(mailbox_id=mailbox.pk) == 2

    assert imap_server.uids(SUPPORT, "INBOX") == []
    assert len(imap_server.uids(SUPPORT, "Processed")) == 2
    imap_server.append(SUPPORT, message(3))
    assert imap.mailbox_poll(mailbox_id=mailbox.pk) == 1
    assert imap_server.uids(SUPPORT, "INBOX") == []
    assert len(imap_server.uids(SUPPORT, "Processed")) == 3
    assert InboundEmail.objects.filter(mailbox=mailbox).count() == 3


def test_messages_stored_but_not_moved_are_moved_by_the_next_poll(imap_server, mailbox, received):
    imap_server.append(SUPPORT, message(1))
    imap.mailbox_poll(mailbox_id=mailbox.pk)  # stored; the move "did not happen"
    Mailbox.objects.filter(pk=mailbox.pk).update(processed_folder="Processed")

    assert imap.mailbox_poll(mailbox_id=mailbox.pk) == 0

    assert imap_server.uids(SUPPORT, "INBOX") == []
    assert len(imap_server.uids(SUPPORT, "Processed")) == 1
    assert len(received.calls) == 1


def test_a_mailbox_being_polled_by_another_worker_is_skipped(imap_server, mailbox, received):
    imap_server.append(SUPPORT, message(1))
    claimed_until = timezone.now() + timedelta(minutes=5)
    Mailbox.objects.filter(pk=mailbox.pk).update(last_polled_at=claimed_until)

    assert imap.mailbox_poll(mailbox_id=mailbox.pk) == 0

    assert received.calls == []
    mailbox.refresh_from_db()
    assert mailbox.last_polled_at == claimed_until
    assert imap.is_polling(mailbox)


def test_a_claim_left_by_a_dead_worker_expires(imap_server, mailbox, received):
    imap_server.append(SUPPORT, message(1))
    Mailbox.objects.filter(pk=mailbox.pk).update(
        last_polled_at=timezone.now() - timedelta(seconds=1)
    )

    assert imap.mailbox_poll(mailbox_id=mailbox.pk) == 1
    mailbox.refresh_from_db()
    assert not imap.is_polling(mailbox)


def test_the_claim_is_taken_by_one_poller_only(mailbox):
    assert imap._claim(mailbox.pk) is True
    assert imap._claim(mailbox.pk) is False


def test_an_inactive_mailbox_is_not_polled(imap_server, received):
    mailbox = mailbox_on(imap_server, is_active=False)
    imap_server.append(SUPPORT, message(1))

    assert imap.mailbox_poll(mailbox_id=mailbox.pk) == 0
    assert received.calls == []


def test_a_failing_mailbox_does_not_stop_the_others(imap_server, received):
    broken = mailbox_on(imap_server, email="billing@example.com")
    Mailbox.objects.filter(pk=broken.pk).update(imap_password="not-the-password")
    working = mailbox_on(imap_server)
    mailbox_on(imap_server, email="old@example.com", is_active=False)
    Mailbox.objects.create(name="Webhook only", email_address="hooks@example.com")
    imap_server.append(SUPPORT, message(1))
    imap_server.append("billing@example.com", message(2))

    total = imap.mailboxes_poll()

    assert total == 1
    broken.refresh_from_db()
    working.refresh_from_db()
    assert broken.last_error.startswith("login refused by the server")
    assert broken.last_polled_at is not None
    assert working.last_error == ""
    assert [c["mailbox"].pk for c in received.calls] == [working.pk]


def test_an_error_is_cleared_by_the_next_good_poll(imap_server, mailbox, received):
    Mailbox.objects.filter(pk=mailbox.pk).update(imap_password="wrong")
    imap.mailbox_poll(mailbox_id=mailbox.pk)
    mailbox.refresh_from_db()
    assert "login refused" in mailbox.last_error

    Mailbox.objects.filter(pk=mailbox.pk).update(imap_password=imap_server.passwords[SUPPORT])
    imap.mailbox_poll(mailbox_id=mailbox.pk)

    mailbox.refresh_from_db()
    assert mailbox.last_error == ""


def test_a_missing_folder_is_reported(imap_server, received):
    mailbox = mailbox_on(imap_server, imap_folder="Support")

    imap.mailbox_poll(mailbox_id=mailbox.pk)

    mailbox.refresh_from_db()
    assert mailbox.last_error.startswith("IMAP error:")
    assert mailbox.last_polled_at is not None


def test_a_server_that_is_down_is_reported(imap_server, received):
    mailbox = mailbox_on(imap_server)
    imap_server.stop()

    assert imap.mailbox_poll(mailbox_id=mailbox.pk) == 0

    mailbox.refresh_from_db()
    assert mailbox.last_error == "connection refused: is the host and port right?"


def test_the_beat_task_polls_every_mailbox(imap_server, mailbox, received):
    from apps.mail import tasks

    imap_server.append(SUPPORT, message(1))

    assert tasks.poll_mailboxes.delay().get() == 1
    imap_server.append(SUPPORT, message(2))
    assert tasks.poll_mailbox.delay(mailbox.pk).get() == 1
    assert tasks.poll_mailbox.delay(mailbox.pk).get() == 0


def test_the_beat_entry_points_at_the_task(settings):
    assert settings.CELERY_BEAT_SCHEDULE["poll-mailboxes"]["task"] == (
        "apps.mail.tasks.poll_mailboxes"
    )


def test_a_processed_folder_equal_to_the_folder_read_moves_nothing(imap_server, received):
    mailbox = mailbox_on(imap_server, processed_folder="inbox")
    imap_server.append(SUPPORT, message(1))

    assert imap.mailbox_poll(mailbox_id=mailbox.pk) == 1
    assert imap.mailbox_poll(mailbox_id=mailbox.pk) == 0

    assert len(imap_server.uids(SUPPORT)) == 1


def without_capabilities(monkeypatch, *names: str) -> None:
    """Make the server look older: imapclient no longer sees these capabilities."""
    from imapclient import IMAPClient

    real = IMAPClient.has_capability

    def has_capability(self, capability):
        return capability.upper() not in names and real(self, capability)

    monkeypatch.setattr(IMAPClient, "has_capability", has_capability)


def test_without_move_ours_are_copied_and_only_they_are_expunged(
    imap_server, received, monkeypatch
):
    without_capabilities(monkeypatch, "MOVE")
    mailbox = mailbox_on(imap_server, processed_folder="Processed")
    imap_server.append(SUPPORT, message(1))
    imap_server.append(SUPPORT, message(2), flags=[b"\\Deleted"])  # flagged by a colleague

    assert imap.mailbox_poll(mailbox_id=mailbox.pk, limit=1) == 1

    # A bare EXPUNGE would have destroyed message 2 before it was ever stored.
    [left] = imap_server.uids(SUPPORT)
    assert imap_server.flags(SUPPORT)[left] == (b"\\Deleted",)
    assert len(imap_server.uids(SUPPORT, "Processed")) == 1
    assert imap.mailbox_poll(mailbox_id=mailbox.pk) == 1
    assert received.calls[-1]["raw"] == message(2)
    assert len(imap_server.uids(SUPPORT, "Processed")) == 2


def test_without_move_or_uidplus_originals_are_only_flagged(imap_server, received, monkeypatch):
    without_capabilities(monkeypatch, "MOVE", "UIDPLUS")
    mailbox = mailbox_on(imap_server, processed_folder="Processed")
    imap_server.append(SUPPORT, message(1))

    assert imap.mailbox_poll(mailbox_id=mailbox.pk) == 1

    [original] = imap_server.uids(SUPPORT)
    assert b"\\Deleted" in imap_server.flags(SUPPORT)[original]
    assert len(imap_server.uids(SUPPORT, "Processed")) == 1
    assert imap.mailbox_poll(mailbox_id=mailbox.pk) == 0  # the original is not stored again
    assert len(imap_server.uids(SUPPORT, "Processed")) == 1  # nor copied again
