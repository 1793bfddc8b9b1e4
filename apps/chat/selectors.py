"""Reads of the chat channel: a chat's transcript, agents' chat lists, FCR contact counting."""

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery

from apps.accounts.types import User
from apps.cases.models import Case, Channel, Interaction
from apps.contacts.models import ContactIdentity

from .models import ChatSession

TRANSCRIPT_PAGE = 100


def chat_session_for_widget(*, session_id: int) -> ChatSession | None:
    """A session with what the public endpoints need (widget for CORS, case for merges)."""
    return ChatSession.objects.select_related("widget", "case").filter(pk=session_id).first()


def chat_transcript(
    *, session: ChatSession, after: int = 0, limit: int | None = None
) -> list[Interaction]:
    """What the customer sees: the public chat messages of the chat's case after id `after`,
    oldest first (one query). Internal notes never appear. When an agent merged the chat's
    case into another, the other case's chat messages are the chat's too."""
    case_ids = [session.case_id]
    if session.case.merged_into_id:
        case_ids.append(session.case.merged_into_id)
    return list(
        Interaction.objects.filter(
            case_id__in=case_ids, channel=Channel.CHAT, is_public=True, pk__gt=after
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
