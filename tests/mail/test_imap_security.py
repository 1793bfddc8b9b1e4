"""IMAP polling only over TLS with a verified certificate, unless a mailbox says otherwise."""

import pytest
from django.db import IntegrityError, transaction

from apps.mail import imap
from apps.mail.models import InboundEmail, Mailbox
from tests.mail.imap_server import (
    SUPPORT,
    mailbox_on,
    make_tls_files,
    message,
    running,
)

# Ingestion replaced by a minimal store: this module is about the connection.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("received")]


@pytest.fixture(scope="module")
def other_ca(tmp_path_factory):
    """A CA that did not sign the server's certificate."""
    return make_tls_files(tmp_path_factory.mktemp("other-tls"))


@pytest.fixture
def trust_test_ca(tls_files, monkeypatch):
    monkeypatch.setenv("SSL_CERT_FILE", str(tls_files.ca))
    return tls_files


def test_plain_imap_without_allow_insecure_cannot_even_be_saved():
    with pytest.raises(IntegrityError), transaction.atomic():
        Mailbox.objects.create(
            name="Plain",
            email_address="plain@example.com",
            imap_host="mail.example.com",
            imap_port=143,
            imap_security=Mailbox.Security.NONE,
            allow_insecure=False,
        )


def test_plain_imap_is_refused_by_the_poller_too():
    """A second line of defence, should a row ever bypass the constraint."""
    mailbox = Mailbox(
        name="Plain",
        email_address="plain@example.com",
        imap_host="127.0.0.1",
        imap_port=1,
        imap_security=Mailbox.Security.NONE,
        allow_insecure=False,
    )

    with pytest.raises(imap.MailboxError, match="plain-text IMAP is refused"):
        imap._open(mailbox)


def test_plain_imap_works_for_a_mailbox_that_allows_it():
    with running("none", None) as server:
        mailbox = mailbox_on(server)  # security none, allow_insecure True
        server.append(SUPPORT, message(1))

        assert imap.mailbox_poll(mailbox_id=mailbox.pk) == 1

    mailbox.refresh_from_db()
    assert mailbox.last_error == ""


def test_starttls_against_a_server_without_it_fails_before_any_login(trust_test_ca):
    with running("none", None) as server:
        mailbox = mailbox_on(server, imap_security=Mailbox.Security.STARTTLS, allow_insecure=False)
        server.append(SUPPORT, message(1))
        logins_before = len(server.logins)

        assert imap.mailbox_poll(mailbox_id=mailbox.pk) == 0

        assert len(server.logins) == logins_before  # the password never crossed in clear
    mailbox.refresh_from_db()
    assert mailbox.last_error == (
        f"127.0.0.1:{server.port} does not offer STARTTLS; refusing to log in over plain text"
    )
    assert mailbox.last_polled_at is not None


def test_starttls_with_a_trusted_certificate(trust_test_ca):
    with running("starttls", trust_test_ca) as server:
        mailbox = mailbox_on(server)
        server.append(SUPPORT, message(1))

        assert imap.mailbox_poll(mailbox_id=mailbox.pk) == 1


def test_imaps_with_a_trusted_certificate(trust_test_ca):
    with running("ssl", trust_test_ca) as server:
        mailbox = mailbox_on(server)
        server.append(SUPPORT, message(1))

        assert imap.mailbox_poll(mailbox_id=mailbox.pk) == 1

    assert InboundEmail.objects.filter(mailbox=mailbox).count() == 1


@pytest.mark.parametrize("security", ["starttls", "ssl"])
def test_a_certificate_the_system_does_not_trust_is_refused(
    security, tls_files, other_ca, monkeypatch
):
    monkeypatch.setenv("SSL_CERT_FILE", str(tls_files.ca))  # for the test's own client
    with running(security, tls_files) as server:
        mailbox = mailbox_on(server)
        server.append(SUPPORT, message(1))
        logins_before = len(server.logins)
        monkeypatch.setenv("SSL_CERT_FILE", str(other_ca.ca))

        assert imap.mailbox_poll(mailbox_id=mailbox.pk) == 0

        assert len(server.logins) == logins_before
    mailbox.refresh_from_db()
    assert mailbox.last_error.startswith("TLS certificate not trusted:")


def test_the_connection_test_reports_the_message_count(trust_test_ca):
    with running("starttls", trust_test_ca) as server:
        mailbox = mailbox_on(server)
        server.append(SUPPORT, message(1))
        server.append(SUPPORT, message(2))

        assert imap.mailbox_test_connection(mailbox_id=mailbox.pk) == 2

    mailbox.refresh_from_db()
    assert mailbox.last_uid == 0  # a test changes nothing
    assert InboundEmail.objects.count() == 0


def test_the_connection_test_reports_a_refused_login(trust_test_ca):
    with running("starttls", trust_test_ca) as server:
        mailbox = mailbox_on(server)
        Mailbox.objects.filter(pk=mailbox.pk).update(imap_password="wrong")

        with pytest.raises(imap.MailboxError, match="^login refused by the server"):
            imap.mailbox_test_connection(mailbox_id=mailbox.pk)
