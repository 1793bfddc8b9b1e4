"""Reads on the taxonomy and on cases' suggestions."""

from django.db.models import OuterRef, Prefetch, QuerySet, Subquery

from apps.cases.models import Case, Interaction

from . import suggest
from .models import RootCause, RootCauseSuggestion

# The newest tagged cases a model is trained from (a bound on the trainer's memory and time).
MAX_TRAINING_CASES = 50_000


def root_cause_choices() -> list[tuple[int, str]]:
    """(id, path) of every current node, by path: what a case may be given (one query)."""
    return list(RootCause.objects.active().order_by("path", "id").values_list("pk", "path"))


def _first_message() -> Subquery:
    """The body of a case's first public message from the customer."""
    return Subquery(
        Interaction.objects.filter(
            case=OuterRef("pk"), direction=Interaction.Direction.INBOUND, is_public=True
        )
        .order_by("occurred_at", "pk")
        .values("body_text")[:1]
    )


def training_cases(*, limit: int = MAX_TRAINING_CASES) -> tuple[list[str], list[int]]:
    """(texts, root-cause ids) of the newest cases tagged with a current root cause (one
    query; merged cases are left out: their target carries the story)."""
    rows = (
        Case.objects.filter(root_cause__retired_at__isnull=True, merged_into__isnull=True)
        .exclude(root_cause__isnull=True)
        .annotate(first_message=_first_message())
        .order_by("-created_at", "-id")
        .values_list("subject", "first_message", "root_cause_id")[:limit]
    )
    texts, labels = [], []
    for subject, message, root_cause_id in rows:
        texts.append(suggest.case_text(subject, message or ""))
        labels.append(root_cause_id)
    return texts, labels


def case_text(*, case_id: int) -> str | None:
    """What the model reads of one case, or None when there is no such case (one query)."""
    row = (
        Case.objects.filter(pk=case_id)
        .annotate(first_message=_first_message())
        .values_list("subject", "first_message")
        .first()
    )
    if row is None:
        return None
    return suggest.case_text(row[0], row[1] or "")


def case_suggestions(*, case: Case) -> QuerySet[RootCauseSuggestion]:
    """The case's stored suggestions of current root causes, best first, with their paths."""
    return (
        RootCauseSuggestion.objects.filter(case=case, root_cause__retired_at__isnull=True)
        .select_related("root_cause")
        .order_by("rank")
    )


def suggestions_prefetch() -> "Prefetch[str, QuerySet[RootCauseSuggestion], str]":
    """Cases' current suggestions as `case.current_suggestions` (one query for a page)."""
    return Prefetch(
        "root_cause_suggestions",
        queryset=RootCauseSuggestion.objects.filter(root_cause__retired_at__isnull=True)
        .select_related("root_cause")
        .order_by("rank"),
        to_attr="current_suggestions",
    )
