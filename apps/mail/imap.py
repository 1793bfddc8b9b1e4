"""Polling IMAP mailboxes: every new message is stored raw, once, and nothing is deleted.

How one poll goes (`mailbox_poll`)
----------------------------------
1. **Claim.** One conditional UPDATE sets `last_polled_at` to *now + LEASE* where it is empty
   or in the past. While a poll runs, `last_polled_at` is therefore in the future ("claimed
   until"), so a second worker (or a beat run overlapping a "poll now") skips the mailbox; at
   the end it is set to the real finish time, which releases it. A worker that dies leaves a
   claim that expires after LEASE. (A plain UPDATE works the same on SQLite and PostgreSQL,
   unlike SELECT … FOR UPDATE SKIP LOCKED, which SQLite ignores.)
2. **Connect** over TLS: IMAPS (`ssl`) or STARTTLS, certificates and host names verified with
   the default SSL context; plain text only for a mailbox marked `allow_insecure` (a database
   check constraint forbids `none` without it). A server that does not offer STARTTLS is
   refused before any credential is sent.
3. **Log in** with the password (LOGIN) or XOAUTH2 (Microsoft 365, Google), the access token
   refreshed first when it is (nearly) expired — see oauth.py — and once more if the server
   refuses a token we believed valid.
4. **Select the folder.** Read-only (EXAMINE) unless messages are moved afterwards. When the
   folder's UIDVALIDITY differs from the one stored, its UIDs mean something else now: the
   folder is read again from the start (last_uid = 0). Messages seen under the old UIDVALIDITY
   are recognised by Message-ID (a header-only fetch) and skipped, so a renumbered folder is not
   stored twice; whatever slips through is still caught by the Message-ID de-duplication of
   ingestion.
5. **Fetch** the UIDs above `last_uid`, oldest first, at most BATCH_SIZE per poll, in chunks of
   FETCH_CHUNK, with ``BODY.PEEK[]`` — the whole message, without setting ``\\Seen``: the
   mailbox may be shared with people, and what cxdesk has read is tracked by UID, not flags.
   A message the server lists but does not return stops the poll there (recorded in
   last_error) rather than being passed over.
6. **Store each message** with `apps.mail.services.email_receive` (which commits the raw bytes
   before it parses anything) and only then advance `last_uid` to that UID. A crash between the
   two re-fetches that message on the next poll, and the unique (mailbox, uidvalidity, uid) of
   InboundEmail makes the second store a no-op; a failure to store stops the batch *before*
   `last_uid` passes the message, so nothing is skipped.
7. **Move** the stored messages to `processed_folder` when one is set (created if missing):
   UID MOVE where the server has it; else UID COPY, then ``\\Deleted`` on those UIDs only and
   UID EXPUNGE of exactly them (UIDPLUS; without it the flagged originals wait for the server
   or a mail client to expunge them) — a plain EXPUNGE, which would also remove messages
   someone else flagged, possibly before cxdesk stored them, is never sent. Messages stored but
   not moved (a crash, a refused move) are moved by the next poll: every undeleted UID up to
   `last_uid` still in the folder was stored. A processed folder equal to the folder read is
   ignored (the moved copies would come back as new UIDs).
8. **Release**: `last_polled_at` = now, and `last_error` = "" or the reason it failed.
"""

import logging
import socket
import ssl
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import timedelta
from email.parser import BytesHeaderParser

from django.db.models import Q
from django.utils import timezone
from imapclient import DELETED, IMAPClient
from imapclient import exceptions as imap_errors

from . import oauth
from .models import InboundEmail, Mailbox
from .parsing import normalize_message_id

logger = logging.getLogger(__name__)

BATCH_SIZE = 200  # messages stored per poll at most; the next poll takes the rest
FETCH_CHUNK = 10  # messages per FETCH: bounds memory with large attachments
TIMEOUT = 30.0  # seconds for connecting and for each read from the server
LEASE = timedelta(minutes=10)  # a claim older than this belongs to a dead worker
MAX_POLL_SECONDS = 300  # no new FETCH after this: the poll ends well inside its lease

Security = Mailbox.Security
_HEADER_MESSAGE_ID = "BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]"
_HEADER_KEY = b"BODY[HEADER.FIELDS (MESSAGE-ID)]"


class MailboxError(Exception):
    """A mailbox could not be polled; the message is meant for the admin (last_error)."""


@dataclass
class _Progress:
    stored: int = 0


# --- polling -----------------------------------------------------------------------------


def mailboxes_poll() -> int:
    """Poll every active mailbox with an IMAP host; returns how many messages were stored.

    Each mailbox records its own outcome (last_error, last_polled_at): one that fails does
    not stop the others.
    """
    ids = list(
        Mailbox.objects.filter(is_active=True)
        .exclude(imap_host="")
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    total = 0
    for mailbox_id in ids:
        try:
            total += mailbox_poll(mailbox_id=mailbox_id)
        except Exception:  # noqa: BLE001 — mailbox_poll records its errors; this is a last guard
            logger.exception("polling mailbox %s failed", mailbox_id)
    return total


def mailbox_poll(*, mailbox_id: int, limit: int = BATCH_SIZE) -> int:
    """Fetch and store the new messages of one mailbox; returns how many were stored.

    A no-op (0) when the mailbox is inactive, has no IMAP host, or is being polled by another
    worker right now. Errors are recorded in `last_error`, not raised.
    """
    if not _claim(mailbox_id):
        return 0
    progress = _Progress()
    error = ""
    try:
        mailbox = Mailbox.objects.get(pk=mailbox_id)
        with _connected(mailbox) as client:
            _poll_folder(client, mailbox, limit=limit, progress=progress)
    except Exception as exc:  # noqa: BLE001 — any failure becomes the mailbox's last_error
        error = describe_error(exc)
        logger.warning(
            "polling mailbox %s: %s",
            mailbox_id,
            error,
            exc_info=not isinstance(exc, MailboxError | OSError),
        )
    finally:
        Mailbox.objects.filter(pk=mailbox_id).update(
            last_polled_at=timezone.now(), last_error=error[:2000]
        )
    return progress.stored


def mailbox_test_connection(*, mailbox_id: int) -> int:
    """Connect, log in and open the folder; returns its message count. Raises MailboxError.

    Changes nothing in the mailbox or on the server (the folder is opened read-only); an
    OAuth2 access token may be refreshed and stored.
    """
    mailbox = Mailbox.objects.get(pk=mailbox_id)
    if not mailbox.imap_host:
        raise MailboxError("no IMAP host is set for this mailbox")
    try:
        with _connected(mailbox) as client:
            info = client.select_folder(mailbox.imap_folder, readonly=True)
    except Exception as exc:  # noqa: BLE001 — reported to the admin as one sentence
        raise MailboxError(describe_error(exc)) from exc
    return int(info.get(b"EXISTS", 0))


def _claim(mailbox_id: int) -> bool:
    now = timezone.now()
    return bool(
        Mailbox.objects.filter(
            Q(last_polled_at__isnull=True) | Q(last_polled_at__lte=now),
            pk=mailbox_id,
            is_active=True,
        )
        .exclude(imap_host="")
        .update(last_polled_at=now + LEASE)
    )


def same_folder(a: str, b: str) -> bool:
    """IMAP folder names are case-sensitive, except INBOX (RFC 3501 §5.1)."""
    a, b = a.strip(), b.strip()
    return a == b or a.upper() == b.upper() == "INBOX"


def is_polling(mailbox: Mailbox) -> bool:
    """True while a worker holds the mailbox's poll claim (see the module docstring)."""
    return bool(mailbox.last_polled_at and mailbox.last_polled_at > timezone.now())


def _poll_folder(client: IMAPClient, mailbox: Mailbox, *, limit: int, progress: _Progress) -> None:
    started = time.monotonic()
    # Moving into the folder being read would fetch every message again under a new UID.
    move = bool(mailbox.processed_folder) and not same_folder(
        mailbox.processed_folder, mailbox.imap_folder
    )
    info = client.select_folder(mailbox.imap_folder, readonly=not move)
    uidvalidity = int(info[b"UIDVALIDITY"])
    last_uid = mailbox.last_uid
    if mailbox.uidvalidity != uidvalidity:
        if mailbox.uidvalidity is not None:
            logger.warning(
                "mailbox %s: UIDVALIDITY of %r changed from %s to %s; reading the folder again",
                mailbox.pk,
                mailbox.imap_folder,
                mailbox.uidvalidity,
                uidvalidity,
            )
        last_uid = 0
        Mailbox.objects.filter(pk=mailbox.pk).update(uidvalidity=uidvalidity, last_uid=0)
        mailbox.uidvalidity, mailbox.last_uid = uidvalidity, 0
    if move and last_uid:
        # Stored by an earlier poll but still here (it stopped before moving them). Not the
        # \Deleted ones: those were copied already (see _move) or are someone's to expunge.
        leftovers = [
            u for u in client.search(["UID", f"1:{last_uid}", "UNDELETED"]) if u <= last_uid
        ]
        if leftovers:
            _move(client, leftovers, mailbox.processed_folder)

    new = sorted(u for u in client.search(["UID", f"{last_uid + 1}:*"]) if u > last_uid)
    new = new[:limit]
    if not new:
        return
    resyncing = _resyncing(mailbox, uidvalidity)
    for start in range(0, len(new), FETCH_CHUNK):
        if time.monotonic() - started > MAX_POLL_SECONDS:
            break
        chunk = new[start : start + FETCH_CHUNK]
        skip = _stored_before(client, mailbox, uidvalidity, chunk) if resyncing else set()
        wanted = [u for u in chunk if u not in skip]
        data = client.fetch(wanted, ["BODY.PEEK[]"]) if wanted else {}
        stored: list[int] = []
        for uid in chunk:
            if uid in skip:
                _advance(mailbox, uidvalidity, uid)
                stored.append(uid)
                continue
            raw = data.get(uid, {}).get(b"BODY[]")
            if raw is None:
                # Expunged since SEARCH, or a short answer: stop here without passing it; the
                # next poll's SEARCH tells which.
                raise MailboxError(
                    f"message UID {uid} in {mailbox.imap_folder!r} could not be "
                    "fetched; it will be tried again"
                )
            _store(mailbox, uidvalidity, uid, bytes(raw))
            _advance(mailbox, uidvalidity, uid)
            progress.stored += 1
            stored.append(uid)
        if move and stored:
            _move(client, stored, mailbox.processed_folder)


def _store(mailbox: Mailbox, uidvalidity: int, uid: int, raw: bytes) -> None:
    from . import services  # the ingestion side; imported late so tests can replace it

    try:
        services.email_receive(
            raw=raw,
            source=InboundEmail.Source.IMAP,
            mailbox=mailbox,
            imap_uidvalidity=uidvalidity,
            imap_uid=uid,
        )
    except Exception as exc:
        raise MailboxError(
            f"storing message UID {uid} failed ({type(exc).__name__}: {exc}); "
            "it will be fetched again by the next poll"
        ) from exc


def _advance(mailbox: Mailbox, uidvalidity: int, uid: int) -> None:
    """Record that everything up to `uid` is stored (never moves backwards)."""
    Mailbox.objects.filter(pk=mailbox.pk, uidvalidity=uidvalidity, last_uid__lt=uid).update(
        last_uid=uid
    )
    mailbox.last_uid = max(mailbox.last_uid, uid)


def _resyncing(mailbox: Mailbox, uidvalidity: int) -> bool:
    """Were messages of this mailbox stored under another UIDVALIDITY (a resync is on)?"""
    return (
        InboundEmail.objects.filter(mailbox=mailbox, imap_uid__isnull=False)
        .exclude(imap_uidvalidity=uidvalidity)
        .exists()
    )


def _stored_before(
    client: IMAPClient, mailbox: Mailbox, uidvalidity: int, uids: list[int]
) -> set[int]:
    """UIDs whose Message-ID this mailbox already stored under an earlier UIDVALIDITY."""
    headers = client.fetch(uids, [_HEADER_MESSAGE_ID])
    by_id: dict[str, int] = {}
    for uid in uids:
        raw = headers.get(uid, {}).get(_HEADER_KEY)
        value = BytesHeaderParser().parsebytes(bytes(raw)).get("Message-ID") if raw else None
        message_id = normalize_message_id(str(value)) if value else ""
        if message_id:  # stored as ingestion stores it: "<local@domain>"
            by_id[message_id] = uid
    if not by_id:
        return set()
    seen = (
        InboundEmail.objects.filter(
            mailbox=mailbox, message_id__in=list(by_id), imap_uid__isnull=False
        )
        .exclude(imap_uidvalidity=uidvalidity)
        .values_list("message_id", flat=True)
    )
    return {by_id[message_id] for message_id in seen}


def _move(client: IMAPClient, uids: list[int], folder: str) -> None:
    """Move `uids` to `folder` without ever expunging any other message."""
    if not client.folder_exists(folder):
        client.create_folder(folder)
    if client.has_capability("MOVE"):
        client.move(uids, folder)
        return
    client.copy(uids, folder)
    client.add_flags(uids, [DELETED], silent=True)
    if client.has_capability("UIDPLUS"):
        client.uid_expunge(uids)
    # Without UIDPLUS the originals keep \Deleted until the server or a mail client expunges:
    # they are in `folder` already, and a bare EXPUNGE here could remove other people's mail.


# --- connecting --------------------------------------------------------------------------


@contextmanager
def _connected(mailbox: Mailbox) -> Iterator[IMAPClient]:
    client = _open(mailbox)
    try:
        yield client
    finally:
        with suppress(Exception):
            client.logout()
        with suppress(Exception):
            client.shutdown()


def _ssl_context() -> ssl.SSLContext:
    """Certificates and host names verified against the system's trust store."""
    return ssl.create_default_context()


def _open(mailbox: Mailbox) -> IMAPClient:
    security = mailbox.imap_security
    if security == Security.NONE and not mailbox.allow_insecure:
        raise MailboxError(
            "plain-text IMAP is refused: choose TLS or STARTTLS (or mark the "
            "mailbox allow_insecure for a server on a trusted network)"
        )
    if security not in Security.values:
        raise MailboxError(f"unknown IMAP security {security!r}")
    context = _ssl_context()
    client = IMAPClient(
        mailbox.imap_host,
        port=mailbox.imap_port,
        ssl=security == Security.SSL,
        ssl_context=context,
        timeout=TIMEOUT,
    )
    try:
        if security == Security.STARTTLS:
            if not client.has_capability("STARTTLS"):
                raise MailboxError(
                    f"{mailbox.imap_host}:{mailbox.imap_port} does not offer STARTTLS; "
                    "refusing to log in over plain text"
                )
            client.starttls(context)
        _login(client, mailbox)
    except BaseException:
        with suppress(Exception):
            client.shutdown()
        raise
    return client


def _login(client: IMAPClient, mailbox: Mailbox) -> None:
    username = mailbox.imap_username or mailbox.email_address
    if mailbox.auth_method != Mailbox.Auth.XOAUTH2:
        client.login(username, mailbox.imap_password)
        return
    expires_before = mailbox.oauth2_expires_at
    token = oauth.access_token_get(mailbox)
    try:
        client.oauth2_login(username, token)
    except imap_errors.LoginError:
        if mailbox.oauth2_expires_at != expires_before:
            raise  # the token is brand new: refreshing again will not help
        # A token we thought valid was refused (revoked, or the clock was off): one refresh.
        client.oauth2_login(username, oauth.access_token_get(mailbox, force_refresh=True))


def describe_error(exc: BaseException) -> str:
    """One readable sentence for the admin about why a poll or a connection test failed."""
    if isinstance(exc, MailboxError | oauth.OAuthError):
        return str(exc)
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"TLS certificate not trusted: {exc.verify_message or exc}"
    if isinstance(exc, ssl.SSLError):
        return f"TLS failed: {exc}"
    if isinstance(exc, imap_errors.LoginError):
        return f"login refused by the server: {_imap_text(exc)}"
    if isinstance(exc, TimeoutError | socket.timeout):
        return f"the IMAP server did not answer in time ({TIMEOUT:.0f} s)"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused: is the host and port right?"
    if isinstance(exc, socket.gaierror):
        return f"unknown host: {exc}"
    if isinstance(exc, OSError):
        return f"cannot connect: {exc}"
    if isinstance(exc, imap_errors.IMAPClientError):
        return f"IMAP error: {_imap_text(exc)}"
    return f"{type(exc).__name__}: {exc}"


def _imap_text(exc: BaseException) -> str:
    text = str(exc)
    if text.startswith("b'") or text.startswith('b"'):
        text = text[2:-1]
    return text
