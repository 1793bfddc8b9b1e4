"""Fixtures for email tests: a mailbox, a builder of raw RFC 5322 messages, and a real IMAP
server on 127.0.0.1 (pymap, see imap_server.py) with the ingestion recorder its pollers use."""

from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

import pytest
from django.utils import timezone

from apps.mail.models import Mailbox
from tests.mail.imap_server import (
    ImapTestServer,
    Recorder,
    TlsFiles,
    make_tls_files,
    record_email_receive,
    running,
)


@pytest.fixture
def mailbox(team):
    return Mailbox.objects.create(name="Support", email_address="support@cxdesk.test", team=team)


def build_email(
    *,
    sender: str = "Ada Lovelace <ada@example.com>",
    to: str = "support@cxdesk.test",
    subject: str = "My invoice is wrong",
    text: str | None = "Hello, my invoice is wrong.",
    html: str | None = None,
    message_id: str | None = None,
    in_reply_to: str | None = None,
    references: str | None = None,
    headers: dict[str, str] | None = None,
    attachments: list[tuple[str, str, bytes]] = (),
    inline_images: list[tuple[str, str, bytes]] = (),
) -> bytes:
    """A realistic message as bytes. attachments: (filename, mime type, content);
    inline_images: (content id, mime type, content), referenced as cid: from the HTML."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(timezone.now())
    message["Message-ID"] = message_id or make_msgid(domain="example.com")
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
    if references:
        message["References"] = references
    for name, value in (headers or {}).items():
        message[name] = value
    if text is not None:
        message.set_content(text)
    if html is not None:
        if text is None:
            message.set_content(html, subtype="html")
        else:
            message.add_alternative(html, subtype="html")
    if inline_images:
        html_part = message.get_body(preferencelist=("html",))
        for content_id, mime, content in inline_images:
            maintype, subtype = mime.split("/")
            html_part.add_related(
                content, maintype=maintype, subtype=subtype, cid=f"<{content_id}>"
            )
    for filename, mime, content in attachments:
        maintype, subtype = mime.split("/")
        message.add_attachment(content, maintype=maintype, subtype=subtype, filename=filename)
    return message.as_bytes()


@pytest.fixture
def make_email():
    return build_email


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory) -> TlsFiles:
    """A test CA and the IMAP server's certificate it signed (made once: slow to generate)."""
    return make_tls_files(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def imap_server(tls_files, monkeypatch) -> ImapTestServer:
    """A STARTTLS server on 127.0.0.1 whose test CA the default SSL context trusts."""
    monkeypatch.setenv("SSL_CERT_FILE", str(tls_files.ca))
    with running("starttls", tls_files) as server:
        yield server


@pytest.fixture
def received(monkeypatch) -> Recorder:
    """apps.mail.services.email_receive replaced by a Recorder (the poller, not ingestion)."""
    return record_email_receive(monkeypatch)
