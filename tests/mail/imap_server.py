"""A real IMAP server for tests: pymap's in-memory backend on 127.0.0.1, in a thread.

The poller under test talks IMAP to it over a real socket — greeting, STARTTLS or IMAPS with a
certificate signed by a throw-away test CA, LOGIN or AUTHENTICATE XOAUTH2, SELECT, SEARCH,
FETCH BODY.PEEK[], MOVE — so what is tested is the conversation, not a mock of imapclient.
Tests put mail in with `append` (IMAP APPEND through a second client) and look at the folder
with `client()`.

    server = ImapTestServer(security="starttls", tls=tls_files).start()
    server.add_user("support@example.com", "s3cret")
    ...
    server.stop()
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import ipaddress
import ssl
import sys
import threading
import types
from argparse import Namespace
from contextlib import contextmanager
from dataclasses import dataclass
from email.parser import BytesHeaderParser
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from imapclient import IMAPClient
from proxyprotocol.reader import ProxyProtocolReader
from pymap.backend.dict import Config, Identity, Login
from pymap.concurrent import Subsystem
from pymap.exceptions import InvalidAuth
from pymap.imap import IMAPServer
from pymap.user import Passwords, UserMetadata
from pysasl import SASLAuth
from pysasl.creds.external import ExternalCredentials, ExternalVerificationRequired
from pysasl.hashing import BuiltinHash

from apps.mail.models import InboundEmail, Mailbox

HOST = "127.0.0.1"
START_TIMEOUT = 10.0


@dataclass(frozen=True)
class TlsFiles:
    ca: Path  # the test CA's certificate: trust it with SSL_CERT_FILE
    cert: Path  # the server certificate, for 127.0.0.1 and localhost
    key: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert, self.key)
        return context

    def client_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.ca))


def make_tls_files(folder: Path) -> TlsFiles:
    """A CA and a server certificate it signed (EC P-256, valid one day), written to `folder`."""
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "cxdesk test CA")])
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_cert_sign=True,
                crl_sign=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address(HOST))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    files = TlsFiles(ca=folder / "ca.pem", cert=folder / "server.pem", key=folder / "server.key")
    files.ca.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    files.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    files.key.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return files


class _Config(Config):
    """pymap's dict-backend config, offering XOAUTH2 beside PLAIN and LOGIN."""

    @property
    def tls_auth(self) -> SASLAuth:
        return SASLAuth.named([b"PLAIN", b"LOGIN", b"XOAUTH2"])


class _Login(Login):
    """Passwords as pymap checks them; XOAUTH2 bearer tokens against `tokens` (user → set)."""

    def __init__(
        self, config: Config, tokens: dict[str, set[str]], seen_tokens: list[str], logins: list[str]
    ) -> None:
        super().__init__(config)
        self.tokens_by_user = tokens
        self.seen_tokens = seen_tokens
        self.logins = logins

    async def authenticate(self, credentials):
        self.logins.append(credentials.authcid or credentials.authzid)
        if isinstance(credentials, ExternalCredentials):
            try:
                credentials.verify(None)
            except ExternalVerificationRequired as exc:
                token = exc.token or ""
            user = credentials.authzid
            self.seen_tokens.append(token)
            if token not in self.tokens_by_user.get(user, set()):
                raise InvalidAuth()
            return Identity(user, self, None, frozenset())
        return await super().authenticate(credentials)


class ImapTestServer:
    """pymap on 127.0.0.1:<free port>.

    security: "starttls" (plain greeting offering STARTTLS), "ssl" (implicit TLS, IMAPS) or
    "none" (no TLS at all — and no STARTTLS capability).
    """

    def __init__(self, *, security: str = "starttls", tls: TlsFiles | None = None) -> None:
        if security != "none" and tls is None:
            raise ValueError("TLS needs certificate files (make_tls_files)")
        self.security = security
        self.tls = tls
        self.host = HOST
        self.port = 0
        self.oauth_tokens: dict[str, set[str]] = {}
        self.seen_tokens: list[str] = []  # XOAUTH2 bearer tokens presented, in order
        self.logins: list[str] = []  # every authentication attempt (user names)
        self.passwords: dict[str, str] = {}
        self._loop = asyncio.new_event_loop()
        self._thread: threading.Thread | None = None
        self._server: asyncio.AbstractServer | None = None
        self._startup_error: BaseException | None = None

    # --- life cycle ----------------------------------------------------------------------

    def start(self) -> ImapTestServer:
        ready = threading.Event()
        self._thread = threading.Thread(
            target=self._run, args=(ready,), daemon=True, name="imap-test-server"
        )
        self._thread.start()
        if not ready.wait(START_TIMEOUT):
            raise RuntimeError("the test IMAP server did not start in time")
        if self._startup_error:
            raise self._startup_error
        return self

    def _run(self, ready: threading.Event) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_until_complete(self._start())
        except BaseException as exc:  # noqa: BLE001 — handed to the test thread
            self._startup_error = exc
            ready.set()
            return
        ready.set()
        self._loop.run_forever()
        self._loop.close()

    async def _start(self) -> None:
        server_context = self.tls.server_context() if self.tls else None
        args = Namespace(passlib_cfg=None, proxy_protocol=None, inherited_sockets=None)
        self.config = _Config(
            args,
            host=HOST,
            port=0,
            demo_data=False,
            demo_user="demouser",
            demo_password="demopass",
            ssl_context=server_context,
            tls_enabled=self.security == "starttls",
            reject_dnsbl=False,
            invalid_user_sleep=0.0,
            hash_context=BuiltinHash(rounds=1000),
            cpu_subsystem=Subsystem.for_asyncio(),
            bad_command_limit=None,
        )
        self.login = _Login(self.config, self.oauth_tokens, self.seen_tokens, self.logins)
        callback = ProxyProtocolReader(self.config.proxy_protocol).get_callback(
            IMAPServer(self.login, self.config)
        )
        self._server = await asyncio.start_server(
            callback, host=HOST, port=0, ssl=server_context if self.security == "ssl" else None
        )
        self.port = self._server.sockets[0].getsockname()[1]

    def stop(self) -> None:
        if self._thread is None:
            return

        async def shutdown() -> None:
            if self._server is not None:
                self._server.close()
            current = asyncio.current_task()
            tasks = [t for t in asyncio.all_tasks() if t is not current]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        try:
            asyncio.run_coroutine_threadsafe(shutdown(), self._loop).result(5)
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(5)
            self._thread = None

    def _call(self, coro):
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(START_TIMEOUT)

    # --- data ----------------------------------------------------------------------------

    def add_user(self, name: str, password: str) -> None:
        async def add() -> None:
            hashed = await Passwords(self.config).hash_password(password)
            self.login.users_dict[name] = UserMetadata(self.config, name, password=hashed)

        self._call(add())
        self.passwords[name] = password

    def add_oauth_token(self, user: str, token: str) -> None:
        if user not in self.passwords:
            self.add_user(user, "unused-password")
        self.oauth_tokens.setdefault(user, set()).add(token)

    @contextmanager
    def client(self, user: str):
        """A logged-in IMAPClient for `user` (the customer's side: APPEND, look at folders)."""
        use_ssl = self.security == "ssl"
        context = self.tls.client_context() if self.tls else None
        client = IMAPClient(self.host, port=self.port, ssl=use_ssl, ssl_context=context, timeout=10)
        try:
            if self.security == "starttls":
                client.starttls(context)
            client.login(user, self.passwords[user])
            yield client
        finally:
            try:
                client.logout()
            except Exception:  # noqa: BLE001
                client.shutdown()

    def append(self, user: str, raw: bytes, folder: str = "INBOX", flags=()) -> None:
        with self.client(user) as client:
            if not client.folder_exists(folder):
                client.create_folder(folder)
            client.append(folder, raw, flags=tuple(flags))

    def flags(self, user: str, folder: str = "INBOX") -> dict[int, tuple[bytes, ...]]:
        with self.client(user) as client:
            client.select_folder(folder, readonly=True)
            return client.get_flags(client.search("ALL"))

    def uids(self, user: str, folder: str = "INBOX") -> list[int]:
        with self.client(user) as client:
            client.select_folder(folder, readonly=True)
            return sorted(client.search("ALL"))

    def renumber(self, user: str) -> None:
        """Give INBOX a new UIDVALIDITY, as a server does after a restore or migration.

        IMAP RENAME of INBOX moves its messages away and leaves a new, empty INBOX with a new
        UIDVALIDITY (RFC 3501 §6.3.5); the messages are then put back (new UIDs from 101).
        """
        with self.client(user) as client:
            old = client.select_folder("INBOX", readonly=True)[b"UIDVALIDITY"]
            messages = client.fetch(client.search("ALL"), ["BODY.PEEK[]"])
        with self.client(user) as client:
            for attempt in range(5):
                client.rename_folder("INBOX", f"Old-{attempt}")
                if client.select_folder("INBOX", readonly=True)[b"UIDVALIDITY"] != old:
                    break
            for uid in sorted(messages):
                client.append("INBOX", messages[uid][b"BODY[]"])


# --- helpers for the tests -----------------------------------------------------------------

SUPPORT = "support@example.com"
SUPPORT_PASSWORD = "imap-pw-for-tests"


def message(
    n: int,
    *,
    subject: str | None = None,
    sender: str = "ann@example.net",
    message_id: str | None = None,
) -> bytes:
    """A small RFC 5322 message from a customer."""
    return (
        f"From: Ann Customer <{sender}>\r\n"
        f"To: Support <{SUPPORT}>\r\n"
        f"Subject: {subject or f'Question {n}'}\r\n"
        f"Date: Mon, 03 Mar 2025 10:{n % 60:02d}:00 +0000\r\n"
        f"Message-ID: {message_id or f'<question-{n}@example.net>'}\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        "\r\n"
        f"Hello, this is question {n}.\r\n"
    ).encode()


def mailbox_on(
    server: ImapTestServer,
    *,
    email: str = SUPPORT,
    password: str = SUPPORT_PASSWORD,
    add_user: bool = True,
    **fields,
):
    """A Mailbox row pointing at `server`, its IMAP account created there."""
    if add_user:
        server.add_user(email, password)
    values = {
        "name": email.split("@")[0].title(),
        "email_address": email,
        "imap_host": server.host,
        "imap_port": server.port,
        "imap_security": server.security,
        "allow_insecure": server.security == "none",
        "imap_username": email,
        "imap_password": password,
    }
    values.update(fields)
    return Mailbox.objects.create(**values)


@contextmanager
def running(security: str, tls: TlsFiles | None):
    """An ImapTestServer for the duration of a `with` block."""
    server = ImapTestServer(security=security, tls=tls).start()
    try:
        yield server
    finally:
        server.stop()


class Recorder:
    """Stands in for apps.mail.services.email_receive: stores the raw row, as it does.

    The row is keyed like the real one (unique mailbox, uidvalidity, uid), so a redelivery
    returns the stored row. `fail_on_call=n` makes the n-th call raise, like a database that
    went away in the middle of a batch.
    """

    def __init__(self):
        self.calls: list[dict] = []
        self.fail_on_call: int | None = None

    def __call__(
        self,
        *,
        raw: bytes,
        source: str,
        mailbox: Mailbox | None = None,
        provider: str = "",
        imap_uidvalidity: int | None = None,
        imap_uid: int | None = None,
    ) -> InboundEmail:
        self.calls.append(
            {
                "raw": raw,
                "source": source,
                "mailbox": mailbox,
                "uidvalidity": imap_uidvalidity,
                "uid": imap_uid,
            }
        )
        if self.fail_on_call == len(self.calls):
            raise RuntimeError("database went away")
        message_id = BytesHeaderParser().parsebytes(raw).get("Message-ID", "").strip()
        inbound, _ = InboundEmail.objects.get_or_create(
            mailbox=mailbox,
            imap_uidvalidity=imap_uidvalidity,
            imap_uid=imap_uid,
            defaults={
                "source": source,
                "provider": provider,
                "raw": raw,
                "raw_sha256": hashlib.sha256(raw).hexdigest(),
                "message_id": message_id,
            },
        )
        return inbound

    @property
    def uids(self) -> list[int]:
        return [c["uid"] for c in self.calls]


def record_email_receive(monkeypatch) -> Recorder:
    """Replace apps.mail.services.email_receive with a Recorder for the test."""
    recorder = Recorder()
    try:
        from apps.mail import services
    except ImportError:  # the ingestion module is not there yet: stand in for all of it
        import apps.mail

        services = types.ModuleType("apps.mail.services")
        monkeypatch.setitem(sys.modules, "apps.mail.services", services)
        monkeypatch.setattr(apps.mail, "services", services, raising=False)
    monkeypatch.setattr(services, "email_receive", recorder, raising=False)
    return recorder
