"""Reads on cases: querysets composed with their joins, so pages run a fixed number of queries."""

from django.db.models import F, Prefetch, Q

from apps.accounts.types import User
from apps.core.ids import MAX_DB_ID

from .models import Attachment, Case, CaseEvent, CaseQuerySet, Interaction


def case_list_for(*, user: User) -> CaseQuerySet:
    """Every case the user may see, with what a list row shows, newest activity first."""
    return (
        Case.objects.visible_to(user)
        .select_related("requester", "team", "assignee")
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
    """One case with its timeline; raises Case.DoesNotExist when the user may not see it."""
    return (
        Case.objects.visible_to(user)
        .select_related("requester", "requester__organization", "team", "assignee", "merged_into")
        .prefetch_related(
            "tags",
            "requester__identities",
            Prefetch(
                "interactions",
                queryset=Interaction.objects.select_related("author_contact", "author_agent")
                .prefetch_related(
                    Prefetch("attachments", queryset=Attachment.objects.order_by("pk"))
                )
                .order_by("occurred_at", "pk"),
            ),
            Prefetch("events", queryset=CaseEvent.objects.select_related("actor", "actor_contact")),
            "sla_clocks",
        )
        .get(pk=case_id)
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
