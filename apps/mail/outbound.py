"""The email sender: an agent's public reply, sent through Django's email backend.

Registered in settings.CXDESK_OUTBOUND_SENDERS as {"email": "apps.mail.outbound.send"}, it is
called by apps.cases.outbound.interaction_send once the reply is committed, and returns the
Message-ID it used; the outbound core stores that as the interaction's external_id, so the
customer's answer (In-Reply-To / References) threads back onto the case.

What goes out:

- From: the mailbox the case's latest inbound email came through ("Support
  <support@example.com>"); settings.DEFAULT_FROM_EMAIL when the case has none.
- To: whom the customer's latest email asked replies to go to (its Reply-To, else its From),
  else the requester's email address. None → PermanentSendError. An address of one of our
  own mailboxes is refused (a reply to ourselves would loop back in as a new message).
- Subject: "Re: <case subject> [CX-000123-k7f2q9ab]" — one "Re:", one reference token with
  its keyed tag (apps/mail/references.py), which inbound threading reads back: a valid tag
  threads whoever answers, a bare reference only a sender the case knows.
- Message-ID: make_msgid with the mailbox's domain, kept in the interaction's metadata
  ("message_id") before the first attempt, so a retry after a timeout sends the *same*
  Message-ID and the recipient's server or mail client can drop a double delivery.
- In-Reply-To: the Message-ID of the latest inbound email of the case; References: that
  message's References followed by its Message-ID, keeping the first and the latest
  (at most MAX_REFERENCES ids, as RFC 5322 §3.6.4 suggests for trimming).
- Auto-Submitted: no (a person wrote it: RFC 3834 auto-responders may answer it).
- The text body; the sanitised HTML body as an alternative when there is one; the
  interaction's attachments (with Content-ID, inline).

SMTP outcomes: connection failures, timeouts, 4xx answers and authentication failures
(a configuration the admin can fix) raise TransientSendError, retried with backoff; a 5xx
refusal of the recipient, the sender or the message raises PermanentSendError.
"""

import re
import smtplib
from email import encoders
from email.mime.base import MIMEBase
from email.utils import formataddr, getaddresses, make_msgid, parseaddr

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import BadHeaderError, EmailMultiAlternatives
from django.core.validators import validate_email
from django.db.models import Q

from apps.cases.models import Case, Channel, Interaction
from apps.cases.outbound import PermanentSendError, TransientSendError
from apps.contacts.models import ContactIdentity

from .models import InboundEmail, Mailbox
from .parsing import REPLY_PREFIXES
from .references import strip_subject_tokens, subject_token

MAX_REFERENCES = 20
_reply_prefix_re = re.compile(
    r"^\s*(?:(?:"
    + "|".join(re.escape(p) for p in sorted(REPLY_PREFIXES, key=len, reverse=True))
    + r")\s*(?:\[\d+\])?\s*[:：]\s*)+",
    re.IGNORECASE,
)
_msgid_re = re.compile(r"<[^<>\s]+>")


def send(interaction: Interaction) -> str:
    """Send `interaction` (an agent's public email reply); return the Message-ID used."""
    case = interaction.case
    parent = _latest_inbound(case)
    mailbox = _mailbox_of(case)
    if mailbox is not None:
        from_email = formataddr((mailbox.name, mailbox.email_address))
    else:
        from_email = settings.DEFAULT_FROM_EMAIL
    from_address = parseaddr(from_email)[1]
    to = _checked_recipient(case, parent, from_address=from_address)

    message_id = _message_id(interaction, domain=from_address.rpartition("@")[2] or None)
    headers = {"Message-ID": message_id, "Auto-Submitted": "no"}
    parent_id = _parent_message_id(parent) if parent is not None else ""
    if parent_id:
        headers["In-Reply-To"] = parent_id
        headers["References"] = " ".join(_references(parent, parent_id))

    email = EmailMultiAlternatives(
        subject=reply_subject(case),
        body=interaction.body_text,
        from_email=from_email,
        to=[to],
        headers=headers,
    )
    if interaction.body_html:
        email.attach_alternative(interaction.body_html, "text/html")
    for attachment in interaction.attachments.all():
        _attach(email, attachment)
    _smtp_send(email)
    return message_id


def _checked_recipient(case: Case, parent: Interaction | None, *, from_address: str) -> str:
    """Whom the reply goes to; PermanentSendError when nobody, or one of our own mailboxes."""
    to = _recipient(case, parent)
    if to is None:
        raise PermanentSendError(
            f"{case.reference} has no email address to reply to: the "
            "customer's email carried none and the requester has none"
        )
    to_address = parseaddr(to)[1]
    if (
        to_address.lower() == from_address.lower()
        or Mailbox.objects.filter(email_address__iexact=to_address).exists()
    ):
        raise PermanentSendError(
            f"{to_address} is one of our own mailboxes; a reply to it "
            "would come back as a new message"
        )
    return to


def _smtp_send(email: EmailMultiAlternatives) -> None:
    """Send through the email backend, SMTP outcomes mapped to Transient/PermanentSendError."""
    try:
        email.send(fail_silently=False)
    except smtplib.SMTPRecipientsRefused as exc:
        detail = "; ".join(
            f"{parseaddr(rcpt)[1] or rcpt}: {code} {_text(msg)}"
            for rcpt, (code, msg) in exc.recipients.items()
        )
        if exc.recipients and all(400 <= code < 500 for code, _ in exc.recipients.values()):
            raise TransientSendError(f"recipient deferred: {detail}") from exc
        raise PermanentSendError(f"recipient refused: {detail}") from exc
    except (smtplib.SMTPConnectError, smtplib.SMTPAuthenticationError) as exc:
        raise TransientSendError(f"SMTP {exc.smtp_code} {_text(exc.smtp_error)}") from exc
    except smtplib.SMTPResponseException as exc:  # sender refused, data refused, …
        what = "sender refused" if isinstance(exc, smtplib.SMTPSenderRefused) else "refused"
        text = f"SMTP {what}: {exc.smtp_code} {_text(exc.smtp_error)}"
        if 500 <= exc.smtp_code < 600:
            raise PermanentSendError(text) from exc
        raise TransientSendError(text) from exc
    except (smtplib.SMTPException, OSError) as exc:  # disconnected, refused, timed out, TLS
        raise TransientSendError(f"SMTP unavailable: {type(exc).__name__}: {exc}") from exc
    except (BadHeaderError, ValueError) as exc:
        raise PermanentSendError(f"the message cannot be built: {exc}") from exc


def reply_subject(case: Case) -> str:
    """ "Re: <subject> [CX-000123-k7f2q9ab]", whatever prefixes and tokens the subject already
    has: one token, this case's, with its keyed tag (apps/mail/references.py). Tokens of
    other cases are dropped (a case opened from a message quoting another case's reference
    keeps that token in its subject)."""
    subject = strip_subject_tokens(case.subject or "")
    subject = _reply_prefix_re.sub("", subject).strip() or "(no subject)"
    return f"Re: {subject} {subject_token(case)}"


# --- what the reply answers ---------------------------------------------------------------


def _latest_inbound(case: Case) -> Interaction | None:
    """The customer's latest email on the case that has a Message-ID to answer."""
    return (
        Interaction.objects.filter(
            case=case,
            channel=Channel.EMAIL,
            direction=Interaction.Direction.INBOUND,
            is_public=True,
        )
        .exclude(external_id="")
        .order_by("-occurred_at", "-pk")
        .first()
    )


def _mailbox_of(case: Case) -> Mailbox | None:
    """The mailbox the case's latest inbound email came through, if it is still active."""
    inbound = (
        InboundEmail.objects.filter(
            Q(case=case) | Q(interaction__case=case), mailbox__isnull=False, mailbox__is_active=True
        )
        .select_related("mailbox")
        .defer("raw")
        .order_by("-received_at", "-pk")
        .first()
    )
    return inbound.mailbox if inbound else None


def _recipient(case: Case, parent: Interaction | None) -> str | None:
    if parent is not None:
        meta = parent.metadata or {}
        for header in ("reply_to", "from"):
            address = _first_address(_meta(meta, header))
            if address:
                return address
    identity = (
        ContactIdentity.objects.filter(
            contact_id=case.requester_id, kind=ContactIdentity.Kind.EMAIL
        )
        .order_by("-created_at", "-pk")
        .first()
    )
    if identity is None:
        return None
    return formataddr((case.requester.name, identity.value))


def _meta(meta: dict, name: str):
    """A header of the customer's email from its interaction's metadata: the parsed values
    ingestion keeps under "email" (apps.mail.services._metadata), else the decoded headers,
    else a flat key (an interaction another integration created)."""
    names = {name, name.replace("_", "-")}
    email = meta.get("email") if isinstance(meta.get("email"), dict) else {}
    containers = [email, email.get("headers"), meta, meta.get("headers")]
    for container in containers:
        if not isinstance(container, dict):
            continue
        for key, value in container.items():
            if isinstance(key, str) and key.lower() in names and value:
                return value
    return None


def _first_address(value) -> str | None:
    """The first valid address in a header value (str, list of str, or {"name", "address"})."""
    if not value:
        return None
    items = value if isinstance(value, list | tuple) else [value]
    pairs: list[tuple[str, str]] = []
    for item in items:
        if isinstance(item, dict):
            pairs.append((str(item.get("name") or ""), str(item.get("address") or "")))
        elif isinstance(item, str):
            pairs.extend(getaddresses([item]))
    for name, address in pairs:
        try:
            validate_email(address)
        except ValidationError:
            continue
        return formataddr((name, address))
    return None


def _references(parent: Interaction, parent_id: str) -> list[str]:
    value = _meta(parent.metadata or {}, "references") or []
    text = " ".join(value) if isinstance(value, list | tuple) else str(value)
    ids = [i for i in dict.fromkeys(_msgid_re.findall(text)) if i != parent_id]
    ids.append(parent_id)
    if len(ids) > MAX_REFERENCES:
        ids = [ids[0], *ids[-(MAX_REFERENCES - 1) :]]
    return ids


def _parent_message_id(parent: Interaction) -> str:
    """The Message-ID the customer's email carried ("" when it had none: ingestion then keys
    the interaction with a made-up `<sha256@no-message-id.invalid>`, nothing to answer)."""
    message_id = _meta(parent.metadata or {}, "message_id") or parent.external_id
    if not isinstance(message_id, str) or not message_id.strip():
        return ""
    message_id = _bracketed(message_id)
    return "" if message_id.endswith(".invalid>") else message_id


def _bracketed(message_id: str) -> str:
    message_id = message_id.strip()
    return message_id if message_id.startswith("<") else f"<{message_id.strip('<>')}>"


def _message_id(interaction: Interaction, *, domain: str | None) -> str:
    """This reply's Message-ID: made once, kept for every retry of the same reply.

    Made and stored only while this worker's claim holds (the row's `claimed_at` is still the
    one it claimed with). A worker that stalled past its lease finds the row taken over and
    sends nothing (TransientSendError; its result is not recorded either): the worker that
    took over sends, so the reply is neither sent twice by the two nor given a second
    Message-ID.
    """
    metadata = dict(interaction.metadata or {})
    message_id = interaction.external_id or metadata.get("message_id")
    if message_id:
        return _bracketed(message_id)
    message_id = make_msgid(idstring=interaction.case.reference, domain=domain)
    metadata["message_id"] = message_id
    stored = Interaction.objects.filter(
        pk=interaction.pk,
        delivery_status=Interaction.Delivery.SENDING,
        claimed_at=interaction.claimed_at,
    ).update(metadata=metadata)
    if not stored:
        raise TransientSendError(
            "another worker took this reply over (this one outlived its "
            "claim): that worker sends it"
        )
    interaction.metadata = metadata
    return message_id


# --- building the message -----------------------------------------------------------------


def _attach(email: EmailMultiAlternatives, attachment) -> None:
    try:
        with attachment.file.open("rb") as handle:
            content = handle.read()
    except FileNotFoundError as exc:
        raise PermanentSendError(
            f"attachment {attachment.filename!r} is missing from storage"
        ) from exc
    except OSError as exc:
        raise TransientSendError(
            f"attachment {attachment.filename!r} could not be read: {exc}"
        ) from exc
    content_type = attachment.content_type or "application/octet-stream"
    if not attachment.content_id:
        email.attach(attachment.filename, content, content_type)
        return
    maintype, _, subtype = content_type.partition("/")
    part = MIMEBase(maintype or "application", subtype or "octet-stream")
    part.set_payload(content)
    encoders.encode_base64(part)
    part.add_header("Content-Disposition", "inline", filename=attachment.filename)
    part.add_header("Content-ID", f"<{attachment.content_id}>")
    email.attach(part)


def _text(value) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)
