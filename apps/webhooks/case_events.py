"""Webhooks' subscriber to the case-changed seam (apps/cases/events.py).

Each CaseChange becomes the events of apps/webhooks/services.py's docstring, in this order:
``case.created`` (a change that opened the case), ``interaction.created`` (one that added an
interaction), ``case.updated`` (one that changed fields). A change that only links another
case (`related`: a follow-up, an unverified reference) or refreshes an interaction's content
(a call's summary) changes no field and sends nothing. Registered in the transaction
(apps.py): the deliveries are rows of the case's own transaction, sent after commit.

The whole announcement — one change or a sweep's batch — is one `case_events_emit`: ≤ 3
queries (subscriptions, who sees the cases, the deliveries), none when nobody subscribes; a
case a bulk writer announced by id is read by the visibility query.
"""

from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

from apps.cases.events import CaseChange
from apps.cases.models import Case

from . import payloads, services


def case_changes_emit(changes: Sequence[CaseChange]) -> None:
    if not services.any_active_subscription():
        return  # nobody listens: no query, no payload built
    entries: list[tuple[str, Callable[[Case], dict[str, Any]], Case | int]] = []
    for change in changes:
        case = change.case if change.case is not None else change.case_id
        if change.created:
            entries.append(("case.created", partial(_created_data, change), case))
        if change.interaction is not None:
            entries.append(("interaction.created", partial(_interaction_data, change), case))
        if change.fields and not change.created:
            entries.append(("case.updated", partial(_updated_data, change), case))
    # created, interaction, updated: the order of one change's events (and their delivery ids)
    order = {"case.created": 0, "interaction.created": 1, "case.updated": 2}
    entries.sort(key=lambda entry: order[entry[0]])
    if entries:
        services.case_events_emit(entries=entries)


def _created_data(change: CaseChange, case: Case) -> dict[str, Any]:
    return {"case": payloads.case_data(case), "tags": list(change.after.get("tags", []))}


def _interaction_data(change: CaseChange, case: Case) -> dict[str, Any]:
    assert change.interaction is not None  # only changes that added one are sent as such
    return {
        "interaction": payloads.interaction_data(change.interaction),
        "case": payloads.case_data(case),
    }


def _updated_data(change: CaseChange, case: Case) -> dict[str, Any]:
    data: dict[str, Any] = {"case": payloads.case_data(case), "changed": list(change.fields)}
    if "tags" in change.after:
        data["tags"] = list(change.after["tags"])
    if "merged_from" in change.related:
        data["merged_from"] = change.related["merged_from"]
    return data
