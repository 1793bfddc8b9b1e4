"""XOAUTH2 mailboxes (Microsoft 365, Google): the access token is refreshed when it expires.

A real OAuth2 token endpoint (http.server on 127.0.0.1) answers the refresh_token grant, and
the real IMAP server accepts only the tokens it was told about.
"""

import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import pytest
from django.db import connection
from django.utils import timezone

from apps.mail import imap, oauth
from apps.mail.models import Mailbox
from tests.mail.imap_server import (
    SUPPORT,
    mailbox_on,
    message,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("received")]


class TokenEndpoint:
    """POST /token: answers with `reply` (status, JSON body) and records each form sent."""

    def __init__(self):
        self.requests: list[dict[str, str]] = []
        self.reply: tuple[int, dict] = (
            200,
            {"access_token": "fresh-token", "token_type": "Bearer", "expires_in": 3600},
        )
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 — http.server's name
                length = int(self.headers.get("Content-Length", 0))
                form = parse_qs(self.rfile.read(length).decode())
                endpoint.requests.append({k: v[0] for k, v in form.items()})
                status, body = endpoint.reply
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/token"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


@pytest.fixture
def token_endpoint():
    with TokenEndpoint() as endpoint:
        yield endpoint


def oauth_mailbox(server, endpoint, **fields) -> Mailbox:
    server.add_user(SUPPORT, "unused-password")
    values = {
        "auth_method": Mailbox.Auth.XOAUTH2,
        "imap_password": "",
        "oauth2_token_url": endpoint.url,
        "oauth2_client_id": "cxdesk-app",
        "oauth2_client_secret": "client-secret",
        "oauth2_refresh_token": "refresh-1",
        "oauth2_access_token": "stale-token",
        "oauth2_expires_at": timezone.now() - timedelta(minutes=1),
    }
    values.update(fields)
    return mailbox_on(server, add_user=False, **values)


def test_an_expired_access_token_is_refreshed_before_login(imap_server, token_endpoint):
    imap_server.add_oauth_token(SUPPORT, "fresh-token")
    mailbox = oauth_mailbox(imap_server, token_endpoint)
    imap_server.append(SUPPORT, message(1))

    assert imap.mailbox_poll(mailbox_id=mailbox.pk) == 1

    assert token_endpoint.requests == [
        {
            "grant_type": "refresh_token",
            "refresh_token": "refresh-1",
            "client_id": "cxdesk-app",
            "client_secret": "client-secret",
        }
    ]
    assert imap_server.seen_tokens == ["fresh-token"]
    mailbox.refresh_from_db()
    assert mailbox.last_error == ""
    assert mailbox.oauth2_access_token == "fresh-token"
    expected_expiry = timezone.now() + timedelta(hours=1)
    assert abs(mailbox.oauth2_expires_at - expected_expiry) < timedelta(minutes=1)
    assert mailbox.oauth2_refresh_token == "refresh-1"  # not rotated by this server


def test_the_new_access_token_is_stored_encrypted(imap_server, token_endpoint):
    imap_server.add_oauth_token(SUPPORT, "fresh-token")
    mailbox = oauth_mailbox(imap_server, token_endpoint)

    imap.mailbox_poll(mailbox_id=mailbox.pk)

    with connection.cursor() as cursor:
        cursor.execute("SELECT oauth2_access_token FROM mail_mailbox WHERE id = %s", [mailbox.pk])
        (stored,) = cursor.fetchone()
    assert stored.startswith("fernet:")
    assert "fresh-token" not in stored


def test_a_rotated_refresh_token_replaces_the_old_one(imap_server, token_endpoint):
    imap_server.add_oauth_token(SUPPORT, "fresh-token")
    token_endpoint.reply = (
        200,
        {"access_token": "fresh-token", "expires_in": 3600, "refresh_token": "refresh-2"},
    )
    mailbox = oauth_mailbox(imap_server, token_endpoint)

    imap.mailbox_poll(mailbox_id=mailbox.pk)

    mailbox.refresh_from_db()
    assert mailbox.oauth2_refresh_token == "refresh-2"


def test_a_valid_access_token_is_used_without_refreshing(imap_server, token_endpoint):
    imap_server.add_oauth_token(SUPPORT, "current-token")
    mailbox = oauth_mailbox(
        imap_server,
        token_endpoint,
        oauth2_access_token="current-token",
        oauth2_expires_at=timezone.now() + timedelta(minutes=30),
    )
    imap_server.append(SUPPORT, message(1))

    assert imap.mailbox_poll(mailbox_id=mailbox.pk) == 1

    assert token_endpoint.requests == []
    assert imap_server.seen_tokens == ["current-token"]


def test_a_token_about_to_expire_is_refreshed(imap_server, token_endpoint):
    imap_server.add_oauth_token(SUPPORT, "fresh-token")
    mailbox = oauth_mailbox(
        imap_server,
        token_endpoint,
        oauth2_access_token="old",
        oauth2_expires_at=timezone.now() + timedelta(seconds=20),
    )

    imap.mailbox_poll(mailbox_id=mailbox.pk)

    assert len(token_endpoint.requests) == 1
    assert imap_server.seen_tokens == ["fresh-token"]


def test_a_revoked_token_is_refreshed_once_and_login_retried(imap_server, token_endpoint):
    imap_server.add_oauth_token(SUPPORT, "fresh-token")
    mailbox = oauth_mailbox(
        imap_server,
        token_endpoint,
        oauth2_access_token="revoked",
        oauth2_expires_at=timezone.now() + timedelta(minutes=30),
    )
    imap_server.append(SUPPORT, message(1))

    assert imap.mailbox_poll(mailbox_id=mailbox.pk) == 1

    assert imap_server.seen_tokens == ["revoked", "fresh-token"]
    assert len(token_endpoint.requests) == 1


def test_a_refused_refresh_is_reported_and_no_login_is_tried(imap_server, token_endpoint):
    token_endpoint.reply = (
        400,
        {
            "error": "invalid_grant",
            "error_description": "AADSTS70008: the refresh token has expired",
        },
    )
    mailbox = oauth_mailbox(imap_server, token_endpoint)
    imap_server.append(SUPPORT, message(1))

    assert imap.mailbox_poll(mailbox_id=mailbox.pk) == 0

    mailbox.refresh_from_db()
    assert mailbox.last_error == (
        "OAuth2 token refresh refused (invalid_grant): AADSTS70008: the refresh token has expired"
    )
    assert imap_server.seen_tokens == []
    assert mailbox.oauth2_access_token == "stale-token"


def test_a_token_endpoint_that_does_not_answer_is_reported(imap_server, token_endpoint):
    mailbox = oauth_mailbox(
        imap_server, token_endpoint, oauth2_token_url="http://127.0.0.1:9/token"
    )

    imap.mailbox_poll(mailbox_id=mailbox.pk)

    mailbox.refresh_from_db()
    assert mailbox.last_error.startswith(
        "OAuth2 token endpoint http://127.0.0.1:9/token did not answer: ConnectError"
    )


def test_a_mailbox_without_a_refresh_token_says_what_to_do(imap_server, token_endpoint):
    mailbox = oauth_mailbox(imap_server, token_endpoint, oauth2_refresh_token="")

    with pytest.raises(oauth.OAuthError, match="refresh token"):
        oauth.access_token_get(mailbox)


def test_a_token_answer_without_expiry_gets_a_default_lifetime(token_endpoint):
    token_endpoint.reply = (200, {"access_token": "t"})
    mailbox = Mailbox.objects.create(
        name="O",
        email_address="o@example.com",
        auth_method=Mailbox.Auth.XOAUTH2,
        oauth2_token_url=token_endpoint.url,
        oauth2_refresh_token="r",
    )

    assert oauth.access_token_get(mailbox) == "t"

    mailbox.refresh_from_db()
    assert mailbox.oauth2_expires_at - timezone.now() > timedelta(minutes=45)
    assert token_endpoint.requests == [{"grant_type": "refresh_token", "refresh_token": "r"}]
