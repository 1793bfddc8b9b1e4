"""Reads on cases: querysets composed with their joins, so pages run a fixed number of queries."""

from collections.abc import Iterable
from datetime import datetime
from typing import NamedTuple

from django.db.models import Count, F, Min, Prefetch, Q, QuerySet

from apps.accounts.types import User
from apps.core.ids import MAX_DB_ID

from .models import Attachment, Case, CaseEvent, CaseQuerySet, Interaction


def case_list_for(*, user: User) -> CaseQuerySet:
    """Every case the user may see, with what a list row shows, newest activity first."""
    return (
        Case.objects.visible_to(user)
        .select_related("requester", "team", "assignee", "root_cause")
        .prefetch_related("tags")
        .order_by("-updated_at", "-id")
    )


def case_queue_for(*, user: User) -> CaseQuerySet:
    """The user's working queue: open cases assigned to them or unassigned in their teams,
    the next SLA breach first (cases without a running clock after, newest activity first)."""
    return (
        case_list_for(user=user)
        .open()
        .filter(Q(assignee=user) | Q(assignee__isnull=True))
        .order_by(F("next_breach_at").asc(nulls_last=True), "-updated_at", "-id")
    )


def case_detail(*, case_id: int, user: User) -> Case:
    """One case with its timeline (each call with its Call row); raises Case.DoesNotExist
    when the user may not see it. The audit trail is read on demand: `case_events`."""
    if not 1 <= int(case_id) <= MAX_DB_ID:  # a bigint; beyond, SQLite overflows
        raise Case.DoesNotExist
    return (
        Case.objects.visible_to(user)
        .select_related(
            "requester", "requester__organization", "team", "assignee", "merged_into", "root_cause"
        )
        .prefetch_related(
            "tags",
            "requester__identities",
            Prefetch(
                "interactions",
                queryset=Interaction.objects.select_related(
                    "author_contact", "author_agent", "call"
                )
                .prefetch_related(
                    Prefetch("attachments", queryset=Attachment.objects.order_by("pk"))
                )
                .order_by("occurred_at", "pk"),
            ),
        )
        .get(pk=case_id)
    )


def case_visible(*, case_id: int, user: User) -> Case:
    """The bare case row if the user may see it (for the case page's actions, whose
    services lock and re-read it); raises Case.DoesNotExist otherwise."""
    if not 1 <= int(case_id) <= MAX_DB_ID:
        raise Case.DoesNotExist
    return Case.objects.visible_to(user).get(pk=case_id)


def case_events(*, case: Case) -> QuerySet[CaseEvent]:
    """The case's audit trail, oldest first, with who did each change."""
    return case.events.select_related("actor", "actor_contact").order_by("at", "id")


LINK_EVENTS = (
    CaseEvent.Kind.UNVERIFIED_REFERENCE,
    CaseEvent.Kind.FOLLOW_UP,
    CaseEvent.Kind.MERGED_FROM,
    CaseEvent.Kind.MERGED_INTO,
)


def case_links(*, case: Case) -> list[CaseEvent]:
    """The events that tie the case to another (an unverified sender naming it, a follow-up,
    a merge): the case page shows them in its header, not only in the audit trail."""
    return list(case_events(case=case).filter(kind__in=LINK_EVENTS))


def interactions_after(*, case: Case, after_id: int, user: User) -> list[Interaction]:
    """What someone else added to the case's conversation after interaction `after_id`:
    customer messages and other agents' replies (the stale-reply warning of the composer)."""
    return list(
        case.interactions.filter(pk__gt=after_id, is_public=True)
        .exclude(author_agent=user)
        .select_related("author_contact", "author_agent")
        .order_by("occurred_at", "pk")
    )


class TimelineEntry(NamedTuple):
    """One row of the case page's timeline: a single interaction, or the messages of one
    chat session together (`chat_session_id` set)."""

    items: list[Interaction]
    chat_session_id: int | None = None


def timeline_entries(interactions: Iterable[Interaction]) -> list[TimelineEntry]:
    """Group consecutive chat messages of the same chat session (metadata.chat_session_id,
    set by apps/chat) into one entry; everything else stays one entry each, in order."""
    entries: list[TimelineEntry] = []
    for item in interactions:
        session = (item.metadata or {}).get("chat_session_id") if item.channel == "chat" else None
        if session is not None and entries and entries[-1].chat_session_id == session:
            entries[-1].items.append(item)
        else:
            entries.append(TimelineEntry([item], session))
    return entries


class RequesterSummary(NamedTuple):
    """The requester panel of the case page (customer 360)."""

    other_cases: list[Case]  # the ones this user may see, newest first (at most OTHER_CASES)
    total: int  # every case of the contact, on every channel and team
    open: int
    first_seen: datetime | None


OTHER_CASES = 20


def requester_summary(*, case: Case, user: User) -> RequesterSummary:
    """Two queries whatever the contact's history: the totals, and the newest other cases
    the user may see (a case of a team they are not in is counted, never shown)."""
    contact = case.requester
    totals = Case.objects.filter(requester=contact).aggregate(
        total=Count("pk"),
        open=Count("pk", filter=~Q(status__in=Case.DONE_STATUSES)),
        first_case=Min("created_at"),
    )
    others = list(
        Case.objects.visible_to(user)
        .filter(requester=contact)
        .exclude(pk=case.pk)
        .select_related("team")
        .order_by("-created_at", "-id")[:OTHER_CASES]
    )
    seen = [d for d in (contact.created_at, totals["first_case"]) if d is not None]
    return RequesterSummary(
        other_cases=others,
        total=totals["total"],
        open=totals["open"],
        first_seen=min(seen) if seen else None,
    )


def attachment_for_download(
    *, user: User, case_id: int, attachment_id: int, interaction_id: int | None = None
) -> Attachment:
    """An attachment of `case_id` (and of `interaction_id` when given) that the user may see,
    in one query; raises Attachment.DoesNotExist otherwise — another team's attachment is
    indistinguishable from one that does not exist."""
    ids = (case_id, attachment_id) + (() if interaction_id is None else (interaction_id,))
    if not all(1 <= int(i) <= MAX_DB_ID for i in ids):  # a bigint; beyond, SQLite overflows
        raise Attachment.DoesNotExist
    attachments = Attachment.objects.filter(
        pk=attachment_id,
        interaction__case_id=case_id,
        interaction__case__in=Case.objects.visible_to(user),
    )
    if interaction_id is not None:
        attachments = attachments.filter(interaction_id=interaction_id)
    return attachments.get()
