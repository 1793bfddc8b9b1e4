"""Writes of the chat channel: start a chat, a customer's message, end, the idle sweep.

A chat is a case on channel "chat" and its messages are the case's interactions, written by
apps.cases.services like any other channel's; ChatSession only records the conversation's own
state (active or ended, by whom, whether an agent answered, the customer's last sign of life).
Agents answer with cases.services.case_reply; apps/chat/outbound.py is the chat channel's
sender, which marks the session answered (the reply is already in the transcript the widget
polls).
"""

import logging
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from apps.cases import services as case_services
from apps.cases.models import Channel, Interaction
from apps.contacts import identities
from apps.contacts import services as contact_services
from apps.contacts.models import Contact, ContactIdentity

from .models import ChatSession, ChatWidget

logger = logging.getLogger(__name__)

Status = ChatSession.Status
EndedBy = ChatSession.EndedBy
SUBJECT_LENGTH = 80
# The widget polls every few seconds; its last sign of life is written at most this often.
ACTIVITY_WRITE_INTERVAL = timedelta(seconds=60)
DEFAULT_IDLE_MINUTES = 15


class ChatError(Exception):
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
    return timedelta(minutes=getattr(settings, "CXDESK_CHAT_IDLE_MINUTES", DEFAULT_IDLE_MINUTES))


def _subject(message: str) -> str:
    first_line = next((line.strip() for line in message.splitlines() if line.strip()), "")
    if len(first_line) > SUBJECT_LENGTH:
        first_line = first_line[: SUBJECT_LENGTH - 1].rstrip() + "…"
    return f"Chat: {first_line}" if first_line else "Chat"


def _owner_of(kind: str, value: str) -> Contact | None:
    found = (ContactIdentity.objects.select_related("contact")
             .filter(kind=kind, network="", value=value).first())
    return found.contact if found else None


def chat_contact_resolve(*, visitor_id: str, email: str = "", name: str = "") -> Contact:
    """The contact a chat belongs to, from the widget's visitor id and an optional email.

    - An email a contact already has wins: the chat is that person's (the visitor id is
      added to them, so their next chat from this browser is theirs even without the email).
    - Otherwise the visitor's contact (created on their first chat) is used, and a new email
      is added to it.
    - When the visitor id already belongs to someone else than the email's owner, the two
      are *not* merged: an address typed into a public widget is an unverified claim, and a
      merge cannot be undone. The chat goes to the email's owner; an agent who has checked
      can merge the two contacts.

    Raises identities.InvalidIdentity for a malformed email or visitor id.
    """
    email = identities.normalize_email(email) if email else ""
    if email:
        owner = _owner_of(ContactIdentity.Kind.EMAIL, email)
        if owner is not None:
            contact, _ = contact_services.contact_find_or_create(kind="email", value=email,
                                                                 name=name)
            try:
                contact_services.contact_add_identity(contact=contact, kind="chat",
                                                      value=visitor_id)
            except contact_services.IdentityTaken:
                pass  # the visitor id stays with its contact: see above
            return contact
    contact, _ = contact_services.contact_find_or_create(kind="chat", value=visitor_id,
                                                         name=name)
    if email:
        try:
            contact_services.contact_add_identity(contact=contact, kind="email", value=email)
        except contact_services.IdentityTaken as exc:
            # Someone claimed this email between our read and our write: it is theirs.
            return exc.identity.contact
    return contact


@transaction.atomic
def chat_start(*, widget: ChatWidget, message: str, visitor_id: str = "", name: str = "",
               email: str = "", now: datetime | None = None) -> ChatSession:
    """A visitor starts a chat: their contact, a new case for the widget's team, the first
    message, and the session. Raises WidgetInactive for a widget that takes no new chats."""
    if not widget.is_active:
        raise WidgetInactive(f"The chat widget {widget.name!r} is not taking new chats.")
    now = now or timezone.now()
    visitor_id = visitor_id or new_visitor_id()
    contact = chat_contact_resolve(visitor_id=visitor_id, email=email, name=name)
    case = case_services.case_open(requester=contact, subject=_subject(message),
                                   channel=Channel.CHAT, team=widget.team, occurred_at=now)
    session = ChatSession.objects.create(widget=widget, case=case, contact=contact,
                                         visitor_id=visitor_id, started_at=now,
                                         last_customer_activity=now)
    case_services.interaction_add(
        case_id=case.pk, channel=Channel.CHAT, direction=Interaction.Direction.INBOUND,
        author_contact=contact, body_text=message, metadata={"chat_session_id": session.pk},
        occurred_at=now)
    return session


@transaction.atomic
def chat_customer_message(*, session_id: int, body: str,
                          now: datetime | None = None) -> Interaction:
    """A customer's message in an active chat, added to the chat's case."""
    now = now or timezone.now()
    session = ChatSession.objects.select_for_update().get(pk=session_id)
    if not session.is_active:
        raise ChatEnded("This chat has ended; start a new one.")
    author = session.contact
    while author.merged_into_id:  # an agent merged the visitor into another contact
        author = author.merged_into
    interaction = case_services.interaction_add(
        case_id=session.case_id, channel=Channel.CHAT, direction=Interaction.Direction.INBOUND,
        author_contact=author, body_text=body,
        metadata={"chat_session_id": session.pk}, occurred_at=now)
    fields = {"last_customer_activity": now}
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
    return bool(ChatSession.objects.filter(
        pk=session.pk, status=Status.ACTIVE, last_customer_activity__lt=now,
    ).update(last_customer_activity=now))


def chat_end(*, session_id: int, by: str, now: datetime | None = None) -> ChatSession:
    """End an active chat (by the customer, an agent or the idle sweep). Ending a chat that
    has ended already changes nothing and returns it as it is."""
    if by not in (EndedBy.CUSTOMER, EndedBy.AGENT, EndedBy.TIMEOUT):
        raise ChatError(f"unknown ended_by {by!r}")
    now = now or timezone.now()
    ChatSession.objects.filter(pk=session_id, status=Status.ACTIVE).update(
        status=Status.ENDED, ended_at=now, ended_by=by)
    return ChatSession.objects.get(pk=session_id)


def chat_session_answering(*, interaction: Interaction) -> ChatSession | None:
    """The chat an agent's reply belongs to: the case's (or a case merged into it) session
    that was active when the reply was stored."""
    at = interaction.created_at
    return (ChatSession.objects
            .filter(Q(case_id=interaction.case_id) | Q(case__merged_into_id=interaction.case_id),
                    started_at__lte=at)
            .filter(Q(ended_at__isnull=True) | Q(ended_at__gte=at))
            .order_by("-started_at", "-pk").first())


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
            pk__in=ids, status=Status.ACTIVE, last_customer_activity__lt=cutoff,
        ).update(status=Status.ENDED, ended_at=now, ended_by=EndedBy.TIMEOUT)
    if ended:
        logger.info("ended %d idle chat sessions", ended)
    return ended
