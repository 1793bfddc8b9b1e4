"""Nothing is lost: the raw message is stored first; a failure is recorded, never raised,
and the message can be processed again."""

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.cases import services as case_services
from apps.cases.models import Case, Interaction
from apps.mail import services
from apps.mail.models import InboundEmail

pytestmark = pytest.mark.django_db
Status = InboundEmail.Status


def _boom(**kwargs):
    raise RuntimeError("database hiccup while opening the case")


def test_a_crash_while_processing_keeps_the_raw_row_and_records_the_error(
    mailbox, make_email, monkeypatch
):
    monkeypatch.setattr(case_services, "case_open", _boom)
    raw = make_email(message_id="<crash@example.com>")

    inbound = services.email_receive(raw=raw, source="imap", mailbox=mailbox)

    stored = InboundEmail.objects.get(pk=inbound.pk)
    assert stored.status == Status.FAILED
    assert "RuntimeError: database hiccup while opening the case" in stored.error
    assert bytes(stored.raw) == raw
    assert stored.message_id == "<crash@example.com>"
    assert stored.case is None
    assert stored.attempts == 1
    # The transaction of the processing rolled back as a whole: no half-made contact or case.
    assert not Case.objects.exists()
    assert not Interaction.objects.exists()


def test_a_crash_after_the_case_was_opened_rolls_the_case_back(mailbox, make_email, monkeypatch):
    def attachment_fails(**kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(case_services, "attachments_add", attachment_fails)
    raw = make_email(attachments=[("a.pdf", "application/pdf", b"%PDF")])

    inbound = services.email_receive(raw=raw, source="imap", mailbox=mailbox)

    assert inbound.status == Status.FAILED
    assert "OSError: disk full" in inbound.error
    assert not Case.objects.exists()


def test_a_failed_message_is_processed_again_once_the_cause_is_gone(
    mailbox, make_email, monkeypatch
):
    monkeypatch.setattr(case_services, "case_open", _boom)
    inbound = services.email_receive(raw=make_email(), source="imap", mailbox=mailbox)
    assert inbound.status == Status.FAILED
    monkeypatch.undo()

    again = services.email_reprocess(inbound_id=inbound.pk)

    assert again.status == Status.PROCESSED
    assert again.error == ""
    assert again.attempts == 2
    assert InboundEmail.objects.get(pk=inbound.pk).case == Case.objects.get()


def test_reprocessing_a_processed_message_changes_nothing(mailbox, make_email):
    inbound = services.email_receive(raw=make_email(), source="imap", mailbox=mailbox)

    again = services.email_reprocess(inbound_id=inbound.pk)

    assert again.status == Status.PROCESSED
    assert Case.objects.count() == 1
    assert Interaction.objects.count() == 1
    assert InboundEmail.objects.get(pk=inbound.pk).attempts == 1


def test_reprocessing_several_reports_what_became_of_them(mailbox, make_email, monkeypatch):
    monkeypatch.setattr(case_services, "case_open", _boom)
    failed = [
        services.email_receive(raw=make_email(), source="imap", mailbox=mailbox) for _ in range(2)
    ]
    monkeypatch.undo()
    done = services.email_receive(raw=make_email(), source="imap", mailbox=mailbox)

    counts = services.emails_reprocess(inbound_ids=[f.pk for f in failed] + [done.pk])

    assert counts == {Status.PROCESSED: 2}


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"\x00\xff\xfe garbage that is no email at all \x80\x81",
        b"Subject: no sender anywhere\n\nhello",
        b"From: not an address\nSubject: hi\n\nhello",
    ],
    ids=["empty", "binary-garbage", "no-sender", "invalid-sender"],
)
def test_broken_input_is_kept_raw_and_flagged_failed_with_the_error(mailbox, raw):
    inbound = services.email_receive(raw=raw, source="upload", mailbox=mailbox)

    stored = InboundEmail.objects.get(pk=inbound.pk)
    assert stored.status == Status.FAILED
    assert "no valid sender address" in stored.error
    assert bytes(stored.raw) == raw
    assert not Case.objects.exists()


def test_an_imap_redelivery_returns_the_row_stored_the_first_time(mailbox, make_email):
    raw = make_email()
    first = services.email_receive(
        raw=raw, source="imap", mailbox=mailbox, imap_uidvalidity=7, imap_uid=42
    )

    again = services.email_receive(
        raw=raw, source="imap", mailbox=mailbox, imap_uidvalidity=7, imap_uid=42
    )

    assert again.pk == first.pk
    assert InboundEmail.objects.count() == 1
    assert Case.objects.count() == 1


def test_the_same_uid_under_a_new_uidvalidity_is_a_new_delivery(mailbox, make_email):
    raw = make_email(message_id="<resync@example.com>")
    services.email_receive(raw=raw, source="imap", mailbox=mailbox, imap_uidvalidity=7, imap_uid=42)

    again = services.email_receive(
        raw=raw, source="imap", mailbox=mailbox, imap_uidvalidity=8, imap_uid=42
    )

    assert InboundEmail.objects.count() == 2
    assert again.status == Status.DUPLICATE  # the Message-ID is known: nothing created
    assert Case.objects.count() == 1


def test_an_unknown_source_is_a_programming_error(make_email):
    with pytest.raises(ValueError, match="unknown source"):
        services.email_receive(raw=make_email(), source="carrier-pigeon")


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_processing_leaves_the_raw_row_committed(
    mailbox, make_email, monkeypatch
):
    """Even a crash the service cannot catch (the process is killed) loses nothing: the raw
    row was committed before processing began, and stays "received" for a re-run."""

    def killed(raw):
        raise KeyboardInterrupt

    monkeypatch.setattr(services.parsing, "parse_email", killed)
    raw = make_email(message_id="<killed@example.com>")

    with pytest.raises(KeyboardInterrupt):
        services.email_receive(raw=raw, source="imap", mailbox=mailbox)

    stored = InboundEmail.objects.get()
    assert stored.status == Status.RECEIVED
    assert bytes(stored.raw) == raw
    assert stored.message_id == "<killed@example.com>"
    monkeypatch.undo()
    assert services.email_reprocess(inbound_id=stored.pk).status == Status.PROCESSED


def test_messages_left_unprocessed_are_picked_up_by_the_stale_sweep(mailbox, make_email):
    stuck = InboundEmail.objects.create(
        source="imap", mailbox=mailbox, raw=make_email(), raw_sha256="0" * 64
    )
    recent = InboundEmail.objects.create(
        source="imap", mailbox=mailbox, raw=make_email(), raw_sha256="1" * 64
    )
    InboundEmail.objects.filter(pk=stuck.pk).update(received_at=timezone.now() - timedelta(hours=1))

    counts = services.emails_process_stale(older_than=timedelta(minutes=10))

    assert counts == {Status.PROCESSED: 1}
    assert InboundEmail.objects.get(pk=stuck.pk).status == Status.PROCESSED
    assert InboundEmail.objects.get(pk=recent.pk).status == Status.RECEIVED
    assert services.emails_process_stale() == {}
