"""Writes of the chat channel: start a chat, a customer's message, end, the idle sweep, and
the email a visitor types (a claim: confirmed by the link mailed to it or by an agent).

A chat is a case on channel "chat" and its messages are the case's interactions, written by
apps.cases.services like any other channel's; ChatSession only records the conversation's own
state (active or ended, by whom, whether an agent answered, the customer's last sign of life).
Agents answer with cases.services.case_reply; apps/chat/outbound.py is the chat channel's
sender, which marks the session answered (the reply is already in the transcript the widget
polls).
"""

import hashlib
import logging
import secrets
from datetime import datetime, timedelta
from typing import Any, cast

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from apps.accounts.types import User
from apps.cases import services as case_services
from apps.cases.models import Case, Channel, Interaction
from apps.contacts import identities
from apps.contacts import selectors as contact_selectors
from apps.contacts import services as contact_services
from apps.contacts.models import Contact, ContactIdentity
from apps.core.errors import DomainError
from apps.core.queue import enqueue_on_commit

from .models import ChatSession, ChatWidget

logger = logging.getLogger(__name__)

Status = ChatSession.Status
EndedBy = ChatSession.EndedBy
ClaimVerifiedVia = ChatSession.ClaimVerifiedVia
SUBJECT_LENGTH = 80
# The widget polls every few seconds; its last sign of life is written at most this often.
ACTIVITY_WRITE_INTERVAL = timedelta(seconds=60)


class ChatError(DomainError):
    """A chat operation that the chat's state does not allow."""

    code = "chat_error"
    status = 400


class ChatEnded(ChatError):
    code = "chat_ended"
    status = 409


class WidgetInactive(ChatError):
    code = "widget_inactive"
    status = 403


def new_visitor_id() -> str:
    return "v_" + secrets.token_urlsafe(16)


def idle_after() -> timedelta:
    return timedelta(minutes=settings.CXDESK_CHAT_IDLE_MINUTES)


def _subject(message: str) -> str:
    first_line = next((line.strip() for line in message.splitlines() if line.strip()), "")
    if len(first_line) > SUBJECT_LENGTH:
        first_line = first_line[: SUBJECT_LENGTH - 1].rstrip() + "…"
    return f"Chat: {first_line}" if first_line else "Chat"


def chat_contact_resolve(*, visitor_id: str, name: str = "") -> Contact:
    """The contact a chat belongs to: the one this browser's visitor id belongs to, created
    on the visitor's first chat.

    An email typed into the widget does not choose the contact: a public widget cannot tell
    who is typing, so a typed address is the visitor's *claim* (kept on the session, see
    chat_start) until it is verified. Raises identities.InvalidIdentity for a malformed
    visitor id.
    """
    contact, _ = contact_services.contact_find_or_create(kind="chat", value=visitor_id, name=name)
    return contact


@transaction.atomic
def chat_start(
    *,
    widget: ChatWidget,
    message: str,
    visitor_id: str = "",
    name: str = "",
    email: str = "",
    now: datetime | None = None,
) -> ChatSession:
    """A visitor starts a chat: their contact, a new case for the widget's team, the first
    message, and the session. Raises WidgetInactive for a widget that takes no new chats.

    A typed `email` is recorded as the session's claim. It is verified at once only when
    the visitor's own contact has that address already (this browser was verified before);
    otherwise agents see it as unverified, and a confirmation link is mailed to the address
    (after commit, CXDESK_CHAT_CLAIM_LINKS) — see chat_claim_verify.
    """
    if not widget.is_active:
        raise WidgetInactive(f"The chat widget {widget.name!r} is not taking new chats.")
    now = now or timezone.now()
    visitor_id = visitor_id or new_visitor_id()
    email = identities.normalize_email(email) if email else ""
    contact = chat_contact_resolve(visitor_id=visitor_id, name=name)
    case = case_services.case_open(
        requester=contact,
        subject=_subject(message),
        channel=Channel.CHAT,
        team=widget.team,
        occurred_at=now,
    ).case
    claim: dict[str, Any] = {}
    if email:
        claim["claimed_email"] = email
        if ContactIdentity.objects.filter(
            contact=contact, kind=ContactIdentity.Kind.EMAIL, network="", value=email
        ).exists():
            claim.update(claim_verified_at=now, claim_verified_via=ClaimVerifiedVia.VISITOR)
    session = ChatSession.objects.create(
        widget=widget,
        case=case,
        contact=contact,
        visitor_id=visitor_id,
        started_at=now,
        last_customer_activity=now,
        **claim,
    )
    case_services.interaction_add(
        case_id=case.pk,
        channel=Channel.CHAT,
        direction=Interaction.Direction.INBOUND,
        author_contact=contact,
        body_text=message,
        metadata={"chat_session_id": session.pk},
        occurred_at=now,
    )
    if session.claim_pending and claim_links_enabled():
        enqueue_on_commit("apps.chat.tasks.send_claim_link", session.pk)
    return session


# --- Email claims ------------------------------------------------------------------------------


class ClaimError(ChatError):
    code = "claim_error"
    status = 409


class ClaimMergeNotAllowed(ClaimError):
    """Confirming would merge two contacts, which agents may not do (supervisors may)."""

    code = "merge_not_allowed"
    status = 403


class ClaimLinkInvalid(ChatError):
    code = "claim_link_invalid"
    status = 400


CLAIM_LINK_SALT = "cxdesk.chat.claim-link"


def claim_links_enabled() -> bool:
    enabled: bool = settings.CXDESK_CHAT_CLAIM_LINKS
    return enabled


def claim_link_token(*, session: ChatSession) -> str:
    """The signed, expiring token of the confirmation link mailed to a session's claim. It
    names the session and the address, so it confirms exactly that claim."""
    return signing.dumps({"s": session.pk, "e": session.claimed_email}, salt=CLAIM_LINK_SALT)


def claim_link_session(*, token: str) -> ChatSession:
    """The session a confirmation link is for. Raises ClaimLinkInvalid for a token that was
    not issued here, has expired (CXDESK_CHAT_CLAIM_LINK_HOURS), or names another address
    than the session's claim."""
    max_age = timedelta(hours=settings.CXDESK_CHAT_CLAIM_LINK_HOURS)
    try:
        data = signing.loads(token, salt=CLAIM_LINK_SALT, max_age=max_age)
    except signing.SignatureExpired:
        raise ClaimLinkInvalid("This confirmation link has expired.") from None
    except signing.BadSignature:
        raise ClaimLinkInvalid("This is not a confirmation link we sent.") from None
    session = (
        ChatSession.objects.select_related("widget", "case")
        # pk=None (a token without a session id) matches no row; the stubs reject None.
        .filter(pk=data.get("s") if isinstance(data, dict) else None)  # type: ignore[misc]
        .first()
    )
    if session is None or session.claimed_email != data.get("e"):
        raise ClaimLinkInvalid("This confirmation link is for a chat that no longer exists.")
    return session


def _current_contact(contact: Contact) -> Contact:
    while contact.merged_into_id:  # an agent merged the visitor into another contact
        contact = cast(Contact, contact.merged_into)
    return contact


@transaction.atomic
def chat_claim_verify(
    *, session_id: int, via: str, actor: User | None = None, now: datetime | None = None
) -> ChatSession:
    """The claimed email is the visitor's: join the visitor to that address.

    - nobody has the address yet → it becomes an identity of the visitor's contact;
    - another contact has it → the visitor's contact is merged into that contact (its chat
      identity, cases and messages move; each moved case records a requester event);
    - the visitor's contact has it already → nothing to join.

    Joining is for a visitor's own contact only — one that holds nothing but chat visitor
    ids. A browser whose contact has other addresses (a shared computer, someone confirmed
    before) would otherwise join those to the claimed address: ClaimError, and a supervisor
    merges the two contacts if they are one person. A merge that an agent confirms needs a
    role that may merge contacts (contact_merge_allowed): ClaimMergeNotAllowed.

    `via` says what proved it ("agent": an agent who checked, recorded as `actor`; "email":
    the customer opened the link mailed to that address). Verifying a verified claim changes
    nothing. Raises ClaimError when the session has no claim.
    """
    if via not in (ClaimVerifiedVia.AGENT, ClaimVerifiedVia.EMAIL):
        raise ChatError(f"unknown verification {via!r}")
    now = now or timezone.now()
    session = ChatSession.objects.select_for_update().select_related("contact").get(pk=session_id)
    if not session.claimed_email:
        raise ClaimError("The visitor of this chat gave no email address.")
    if session.claim_verified_at is not None:
        return session
    visitor = _current_contact(session.contact)
    owner = contact_selectors.contact_by_identity(kind="email", value=session.claimed_email)
    if owner is None or owner.pk != visitor.pk:
        if visitor.identities.exclude(kind=ContactIdentity.Kind.CHAT).exists():
            raise ClaimError(
                f"This browser's contact ({visitor}) has other addresses already: joining it "
                f"to {session.claimed_email} would join two people. If they are one, a "
                "supervisor merges the two contacts."
            )
        if (
            owner is not None
            and via == ClaimVerifiedVia.AGENT
            and (actor is None or not contact_selectors.contact_merge_allowed(user=actor))
        ):
            raise ClaimMergeNotAllowed(
                f"{session.claimed_email} belongs to an existing contact: confirming merges "
                "this visitor into them, which a supervisor does (or the customer, from the "
                "link mailed to that address)."
            )
    if owner is None:
        try:
            contact_services.contact_add_identity(
                contact=visitor, kind="email", value=session.claimed_email, actor=actor
            )
        except contact_services.IdentityTaken as exc:  # claimed by a message just now
            owner = exc.identity.contact
    if owner is not None and owner.pk != visitor.pk:
        contact_services.contact_merge(source_id=visitor.pk, target_id=owner.pk, actor=actor)
        # The visitor's chats are the owner's now (contact_merge moves cases and messages).
        ChatSession.objects.filter(contact=visitor).update(contact=owner)
        session.contact = owner
    session.claim_verified_at = now
    session.claim_verified_via = via
    session.claim_verified_by = actor if via == ClaimVerifiedVia.AGENT else None
    session.save(update_fields=["claim_verified_at", "claim_verified_via", "claim_verified_by"])
    logger.info("chat %s: claim of %s verified (%s)", session.pk, session.claimed_email, via)
    return session


def _claim_mail_allowed(address: str) -> bool:
    """At most CXDESK_CHAT_CLAIM_LINKS_PER_DAY confirmation mails to one address a day, so
    the widget cannot be used to flood somebody's mailbox."""
    limit: int = settings.CXDESK_CHAT_CLAIM_LINKS_PER_DAY
    key = "chat-claim-mail:" + hashlib.sha256(address.encode()).hexdigest()
    cache.add(key, 0, timeout=24 * 3600)
    try:
        sent: int = cache.incr(key)
        return sent <= limit
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=24 * 3600)
        return True


def chat_claim_send_link(*, session_id: int, now: datetime | None = None) -> bool:
    """Mail the confirmation link to a session's unverified claim, once per session (the row
    is claimed by a conditional UPDATE, so a task delivered twice sends one mail). True when
    it sent. A link the per-address limit refuses, or a mail that fails, is not retried:
    agents can still confirm the claim themselves."""
    now = now or timezone.now()
    claimed = (
        ChatSession.objects.filter(
            pk=session_id,
            claim_link_sent_at__isnull=True,
            claim_verified_at__isnull=True,
        )
        .exclude(claimed_email="")
        .update(claim_link_sent_at=now)
    )
    if not claimed:
        return False
    session = ChatSession.objects.select_related("widget").get(pk=session_id)
    if not _claim_mail_allowed(session.claimed_email):
        logger.warning(
            "chat %s: confirmation mail to %s refused (daily limit)",
            session.pk,
            session.claimed_email,
        )
        return False
    base = settings.CXDESK_PUBLIC_URL.rstrip("/")
    link = base + reverse("chat:confirm-claim", args=[claim_link_token(session=session)])
    context = {
        "session": session,
        "widget_name": session.widget.name,
        "link": link,
        "hours": settings.CXDESK_CHAT_CLAIM_LINK_HOURS,
    }
    try:
        send_mail(
            subject=f"Confirm your email address for your chat with {session.widget.name}",
            message=render_to_string("chat/claim_link_email.txt", context),
            from_email=None,
            recipient_list=[session.claimed_email],
            html_message=render_to_string("chat/claim_link_email.html", context),
        )
    except Exception:  # noqa: BLE001 — SMTP trouble: logged; the agent path remains
        logger.exception("chat %s: could not mail the confirmation link", session.pk)
        return False
    return True


def chat_claim_links_send_due(*, now: datetime | None = None, limit: int = 200) -> int:
    """The sweep behind the after-commit task: mail the links a lost task did not send, for
    claims made in the last hour (older chats are for agents to confirm). Bounded."""
    if not claim_links_enabled():
        return 0
    now = now or timezone.now()
    ids = list(
        ChatSession.objects.filter(
            claim_link_sent_at__isnull=True,
            claim_verified_at__isnull=True,
            started_at__gte=now - timedelta(hours=1),
            started_at__lte=now - timedelta(minutes=1),
        )
        .exclude(claimed_email="")
        .order_by("started_at")
        .values_list("pk", flat=True)[:limit]
    )
    return sum(chat_claim_send_link(session_id=pk, now=now) for pk in ids)


@transaction.atomic
def chat_customer_message(
    *, session_id: int, body: str, now: datetime | None = None
) -> Interaction:
    """A customer's message in an active chat, added to the chat's case."""
    now = now or timezone.now()
    session = ChatSession.objects.select_for_update().get(pk=session_id)
    if not session.is_active:
        raise ChatEnded("This chat has ended; start a new one.")
    author = _current_contact(session.contact)
    interaction = case_services.interaction_add(
        case_id=session.case_id,
        channel=Channel.CHAT,
        direction=Interaction.Direction.INBOUND,
        author_contact=author,
        body_text=body,
        metadata={"chat_session_id": session.pk},
        occurred_at=now,
    )
    fields: dict[str, object] = {"last_customer_activity": now}
    if interaction.case_id != session.case_id:
        # The case was closed (a follow-up took the message) or merged: the chat follows it.
        fields["case_id"] = interaction.case_id
    ChatSession.objects.filter(pk=session.pk).update(**fields)
    return interaction


def chat_touch(*, session: ChatSession, now: datetime | None = None) -> bool:
    """The customer's widget is still there (it polled): refresh their last sign of life,
    writing at most once per ACTIVITY_WRITE_INTERVAL. True when it wrote."""
    now = now or timezone.now()
    if not session.is_active or now - session.last_customer_activity < ACTIVITY_WRITE_INTERVAL:
        return False
    return bool(
        ChatSession.objects.filter(
            pk=session.pk,
            status=Status.ACTIVE,
            last_customer_activity__lt=now,
        ).update(last_customer_activity=now)
    )


def chat_end(*, session_id: int, by: str, now: datetime | None = None) -> ChatSession:
    """End an active chat (by the customer, an agent or the idle sweep). Ending a chat that
    has ended already changes nothing and returns it as it is."""
    if by not in (EndedBy.CUSTOMER, EndedBy.AGENT, EndedBy.TIMEOUT):
        raise ChatError(f"unknown ended_by {by!r}")
    now = now or timezone.now()
    ChatSession.objects.filter(pk=session_id, status=Status.ACTIVE).update(
        status=Status.ENDED, ended_at=now, ended_by=by
    )
    return ChatSession.objects.get(pk=session_id)


class ChatTaken(ChatError):
    """Another agent holds the chat (took it, or answered it, first)."""

    code = "chat_taken"
    status = 409


def _holder_name(user: User) -> str:
    profile = getattr(user, "profile", None)
    return (profile.display_name if profile else "") or user.get_full_name() or user.username


@transaction.atomic
def chat_take(*, session_id: int, agent: User) -> ChatSession:
    """An agent takes a waiting chat: its case is assigned to them (case_assign: audited as
    an assignee event, announced). Taking a chat one holds already changes nothing.

    The session row is locked first (as a customer's message locks it, then the case), so of
    two agents taking one chat at the same moment the second waits for the first, then finds
    the case assigned and gets ChatTaken naming who holds it. On SQLite the IMMEDIATE
    transactions of settings.py serialise the two the same way. Raises ChatEnded for a chat
    that has ended, and case_assign's errors (an agent outside the case's team).
    """
    session = ChatSession.objects.select_for_update().get(pk=session_id)
    if not session.is_active:
        raise ChatEnded("This chat has ended before anyone took it.")
    case = Case.objects.select_related("assignee__profile").get(pk=session.case_id)
    if case.assignee_id == agent.pk:
        return session
    if case.assignee is not None:
        raise ChatTaken(f"{_holder_name(case.assignee)} has taken this chat already.")
    case_services.case_assign(case_id=case.pk, assignee=agent, actor=agent)
    return session


def chat_agent_message(*, session_id: int, agent: User, body: str) -> Interaction:
    """An agent's message in an active chat: a public reply on the chat channel of the chat's
    case (cases.services.case_reply — which assigns an unassigned case to them and opens a
    new one; the chat sender marks the chat answered). Raises ChatEnded once the chat is
    over: the customer's widget would not show the message."""
    with transaction.atomic():
        session = ChatSession.objects.select_for_update().get(pk=session_id)
        if not session.is_active:
            raise ChatEnded(
                "This chat has ended: the customer would not see the message. "
                "Reply by email or note it instead."
            )
        return case_services.case_reply(
            case_id=session.case_id, agent=agent, body_text=body, channel=Channel.CHAT
        )


def chat_session_answering(*, interaction: Interaction) -> ChatSession | None:
    """The chat an agent's reply belongs to: the case's (or a case merged into it) session
    that was active when the reply was stored."""
    at = interaction.created_at
    return (
        ChatSession.objects.filter(
            Q(case_id=interaction.case_id) | Q(case__merged_into_id=interaction.case_id),
            started_at__lte=at,
        )
        .filter(Q(ended_at__isnull=True) | Q(ended_at__gte=at))
        .order_by("-started_at", "-pk")
        .first()
    )


def chat_mark_answered(*, session_id: int) -> None:
    ChatSession.objects.filter(pk=session_id, answered=False).update(answered=True)


def chat_sessions_end_idle(*, now: datetime | None = None, batch_size: int = 500) -> int:
    """End one batch of active chats whose customer has been silent longer than
    CXDESK_CHAT_IDLE_MINUTES (ended_by "timeout").

    Set-based and safe to run twice or on two workers: rows are claimed with SKIP LOCKED and
    the UPDATE re-checks both conditions, so a chat whose customer just wrote stays active.
    Returns how many it ended; callers loop until it returns 0.
    """
    now = now or timezone.now()
    cutoff = now - idle_after()
    with transaction.atomic():
        ids = list(
            ChatSession.objects.select_for_update(skip_locked=True)
            .filter(status=Status.ACTIVE, last_customer_activity__lt=cutoff)
            .order_by("last_customer_activity", "pk")
            .values_list("pk", flat=True)[:batch_size]
        )
        if not ids:
            return 0
        ended = ChatSession.objects.filter(
            pk__in=ids,
            status=Status.ACTIVE,
            last_customer_activity__lt=cutoff,
        ).update(status=Status.ENDED, ended_at=now, ended_by=EndedBy.TIMEOUT)
    if ended:
        logger.info("ended %d idle chat sessions", ended)
    return ended
