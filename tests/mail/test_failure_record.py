"""A failed message is recorded failed even when the database refuses part of the record:
the row never stays "received" while the caller was told "failed"."""

import pytest
from django.db import DataError
from django.db.models.query import QuerySet

from apps.cases import services as case_services
from apps.mail import services
from apps.mail.models import InboundEmail

pytestmark = pytest.mark.django_db
Status = InboundEmail.Status


def test_an_error_text_no_database_can_store_is_recorded_escaped(mailbox, make_email, monkeypatch):
    """PostgreSQL refuses NUL in text: the whole failure record used to be refused."""

    def nul_in_the_error(**kwargs):
        raise RuntimeError("bad byte \x00 in a header \udcff")

    monkeypatch.setattr(case_services, "case_open", nul_in_the_error)

    inbound = services.email_receive(raw=make_email(), source="upload", mailbox=mailbox)

    stored = InboundEmail.objects.get(pk=inbound.pk)
    assert (inbound.status, stored.status) == (Status.FAILED, Status.FAILED)
    assert "\x00" not in stored.error
    assert "RuntimeError: bad byte \\x00 in a header \\udcff" in stored.error


def test_when_the_full_failure_record_is_refused_a_minimal_one_is_stored(
    mailbox, make_email, monkeypatch
):
    """As when PostgreSQL refused an unindexable Message-ID in the same UPDATE: only the
    status and a short ASCII error are written then."""

    def crash(**kwargs):
        raise RuntimeError("the real cause")

    original_update = QuerySet.update

    def refusing_update(self, **kwargs):
        if self.model is InboundEmail and "message_id" in kwargs:
            raise DataError("index row size 2880 exceeds btree version 4 maximum 2704")
        return original_update(self, **kwargs)

    monkeypatch.setattr(case_services, "case_open", crash)
    monkeypatch.setattr(QuerySet, "update", refusing_update)

    inbound = services.email_receive(raw=make_email(), source="upload", mailbox=mailbox)

    stored = InboundEmail.objects.get(pk=inbound.pk)
    assert stored.status == Status.FAILED
    assert stored.processed_at is not None
    assert stored.error.startswith("RuntimeError (the full error could not be stored")
    assert inbound.error == stored.error  # what the API answers is what is stored
