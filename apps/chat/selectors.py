"""Reads of the chat channel: a chat's transcript, agents' chat lists, FCR contact counting,
and the agents' chat console (waiting chats, who holds how many, a live chat's new messages)."""

from typing import TypedDict

from django.contrib.auth import get_user_model
from django.db.models import Count, Max, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from apps.accounts.models import Team
from apps.accounts.types import AnyUser, User
from apps.cases.models import Attachment, Case, Channel, Interaction
from apps.contacts.models import ContactIdentity

from .models import ChatSession, ChatWidget

TRANSCRIPT_PAGE = 100


def chat_session_for_widget(*, session_id: int) -> ChatSession | None:
    """A session with what the public endpoints need (widget for CORS, case for merges)."""
    return ChatSession.objects.select_related("widget", "case").filter(pk=session_id).first()


def _transcript_case_ids(session: ChatSession) -> list[int]:
    case_ids = [session.case_id]
    if session.case.merged_into_id:
        case_ids.append(session.case.merged_into_id)
    return case_ids


def chat_transcript(
    *, session: ChatSession, after: int = 0, limit: int | None = None
) -> list[Interaction]:
    """What the customer sees: the public chat messages of the chat's case after id `after`,
    oldest first (one query). Internal notes never appear. When an agent merged the chat's
    case into another, the other case's chat messages are the chat's too."""
    return list(
        Interaction.objects.filter(
            case_id__in=_transcript_case_ids(session),
            channel=Channel.CHAT,
            is_public=True,
            pk__gt=after,
        )
        .select_related("author_agent__profile")
        .order_by("pk")[: limit or TRANSCRIPT_PAGE]
    )


def chat_sessions_for(
    *,
    user: User,
    status: str | None = ChatSession.Status.ACTIVE,
) -> QuerySet[ChatSession]:
    """Chats on cases the user may see (their teams', their own), newest first; `status`
    None for every status."""
    sessions = ChatSession.objects.filter(case__in=Case.objects.visible_to(user))
    if status:
        sessions = sessions.filter(status=status)
    return sessions.select_related(
        "widget", "contact", "case", "case__team", "case__assignee"
    ).order_by("-started_at", "-pk")


def agent_contact_count(*, case: Case | int) -> int:
    """How many times agents answered the customer on this case, for first-contact resolution.

    Every public agent reply counts one, except that all the chat replies given during one
    chat session count one together: a chat is one contact however many messages it takes.
    A chat still under way counts one too (it is one contact in progress). A reply belongs to
    the session of its case (or of a case merged into it) that was active when it was stored.
    One query.
    """
    case_id = case.pk if isinstance(case, Case) else int(case)
    session_of_reply = (
        ChatSession.objects.filter(
            Q(case_id=case_id) | Q(case__merged_into_id=case_id),
            started_at__lte=OuterRef("created_at"),
        )
        .filter(Q(ended_at__isnull=True) | Q(ended_at__gte=OuterRef("created_at")))
        .order_by("-started_at", "-pk")
        .values("pk")[:1]
    )
    counts = (
        Interaction.objects.filter(
            case_id=case_id,
            direction=Interaction.Direction.OUTBOUND,
            is_public=True,
            author_agent__isnull=False,
        )
        .annotate(chat_session=Subquery(session_of_reply))
        .aggregate(
            outside=Count("pk", filter=~Q(channel=Channel.CHAT) | Q(chat_session__isnull=True)),
            chats=Count("chat_session", distinct=True, filter=Q(channel=Channel.CHAT)),
        )
    )
    contacts: int = counts["outside"] + counts["chats"]
    return contacts


def email_claims_on(*, case: Case) -> list[ChatSession]:
    """The chats of a case whose visitor typed an email, oldest first, for the case page:
    each with `claim_has_other_owner` — whether another contact has that address (confirming
    the claim then joins the visitor to that contact). Two queries at most."""
    sessions = list(
        ChatSession.objects.filter(case=case)
        .exclude(claimed_email="")
        .select_related("claim_verified_by")
        .order_by("started_at", "pk")
    )
    pending = {s.claimed_email for s in sessions if s.claim_pending}
    owned = (
        set(
            ContactIdentity.objects.filter(
                kind=ContactIdentity.Kind.EMAIL, network="", value__in=pending
            )
            .exclude(contact_id=case.requester_id)
            .values_list("value", flat=True)
        )
        if pending
        else set()
    )
    for session in sessions:
        # An attribute for the template only, not a field: hence the ignore.
        session.claim_has_other_owner = session.claimed_email in owned  # type: ignore[attr-defined]
    return sessions


# --- The agents' chat console (apps/chat/views_console.py) -------------------------------------
#
# A chat is *waiting* while it is active and its case has no assignee; the agent its case is
# assigned to *holds* it (services.chat_take assigns it; so does answering it, case_reply).
# Every read filters active sessions first: the (status, -started_at) index finds the few
# active chats however many ended ones the table holds.

WAITING_LIMIT = 50


def chats_waiting_for(*, user: AnyUser) -> QuerySet[ChatSession]:
    """Active chats nobody holds on cases the user may see, the longest waiting first."""
    return (
        ChatSession.objects.filter(
            status=ChatSession.Status.ACTIVE,
            case__assignee__isnull=True,
            case__in=Case.objects.visible_to(user),
        )
        .select_related("widget", "contact", "case", "case__team")
        .order_by("started_at", "pk")
    )


class WaitingSummary(TypedDict):
    waiting: int
    newest: int  # the id of the newest waiting chat (0: none): a new chat raises it


def chats_waiting_summary(*, user: AnyUser) -> WaitingSummary:
    """How many chats wait, and the newest one's id, for the header's badge: one query."""
    found = (
        chats_waiting_for(user=user)
        .select_related(None)
        .order_by()
        .aggregate(waiting=Count("pk"), newest=Max("pk"))
    )
    return {"waiting": found["waiting"], "newest": found["newest"] or 0}


def chats_held_by(*, user: AnyUser) -> QuerySet[ChatSession]:
    """The active chats the user holds (their cases'), the oldest first."""
    return (
        ChatSession.objects.filter(status=ChatSession.Status.ACTIVE, case__assignee_id=user.pk)
        .select_related("widget", "contact", "case", "case__team")
        .order_by("started_at", "pk")
    )


def chat_holders_for(*, user: AnyUser) -> list[User]:
    """The active members of the user's teams, each with `chats`: how many active chats they
    hold (on any team's case), the busiest first. One query, whatever the teams' sizes."""
    held = (
        ChatSession.objects.filter(status=ChatSession.Status.ACTIVE, case__assignee=OuterRef("pk"))
        .order_by()
        .values("case__assignee")
        .annotate(n=Count("pk"))
        .values("n")
    )
    members = Team.members.through.objects.filter(team__members=user.pk).values("user_id")
    return list(
        get_user_model()
        .objects.filter(is_active=True, pk__in=members)
        .select_related("profile")
        .annotate(chats=Coalesce(Subquery(held), 0))
        .order_by("-chats", "first_name", "username")
    )


def widget_to_try_for(*, user: AnyUser) -> ChatWidget | None:
    """The active widget the console's "Try a chat as a customer" opens the demo page of:
    one of the user's teams' (the chat then reaches them), else any active one (one query)."""
    teams = Team.objects.filter(members=user.pk).values("pk")
    return (
        ChatWidget.objects.filter(is_active=True)
        .annotate(own=Count("pk", filter=Q(team_id__in=teams)))
        .order_by("-own", "pk")
        .first()
    )


def live_chat_on(*, case: Case) -> ChatSession | None:
    """The chat under way on a case (its newest active session), for the case page."""
    return (
        ChatSession.objects.filter(case=case, status=ChatSession.Status.ACTIVE)
        .select_related("case")
        .order_by("-started_at", "-pk")
        .first()
    )


def chat_messages_after(*, session: ChatSession, after: int) -> list[Interaction]:
    """A live chat's new messages for the case page's timeline: the chat's transcript after
    id `after` (chat_transcript's rows), with what the timeline's template shows of each.
    Two queries (one when nothing is new) however long the chat."""
    return list(
        Interaction.objects.filter(
            case_id__in=_transcript_case_ids(session),
            channel=Channel.CHAT,
            is_public=True,
            pk__gt=after,
        )
        .select_related("author_contact", "author_agent", "call")
        .prefetch_related(Prefetch("attachments", queryset=Attachment.objects.order_by("pk")))
        .order_by("pk")[:TRANSCRIPT_PAGE]
    )
