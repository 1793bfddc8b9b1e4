"""Reads for the composer: the macros an agent may use, a macro filled in for a case, what
it will change, and the agent's draft. The case page calls `composer_state` once (two
queries, whatever the number of macros)."""

from typing import NamedTuple

from apps.accounts.types import User
from apps.cases.models import Case
from apps.core.ids import MAX_DB_ID

from . import placeholders
from .models import ComposerDraft, Macro

# "Send and set status" statuses (apps/cases/forms.THEN_STATUSES): on a reply, a macro's
# status is put in that box, where the agent sees and may change it.
THEN_STATUSES = frozenset({Case.Status.PENDING, Case.Status.ON_HOLD, Case.Status.SOLVED})


def macros_for(*, user: User) -> list[Macro]:
    """The macros the user may use, for the composer's picker: shared first, then each
    team's, then their own; by title within each (one query)."""
    order = {Macro.Scope.SHARED: 0, Macro.Scope.TEAM: 1, Macro.Scope.PERSONAL: 2}
    macros = list(Macro.objects.visible_to(user).select_related("team", "set_team"))
    return sorted(
        macros, key=lambda m: (order[Macro.Scope(m.scope)], m.team.name if m.team else "", m.title)
    )


def macro_visible(*, user: User, macro_id: int) -> Macro:
    """One macro the user may use; raises Macro.DoesNotExist otherwise (another team's
    macro reads exactly like a missing one)."""
    if not 1 <= int(macro_id) <= MAX_DB_ID:
        raise Macro.DoesNotExist
    return Macro.objects.visible_to(user).select_related("team", "set_team").get(pk=macro_id)


def placeholder_values(*, case: Case, agent: User) -> dict[str, str]:
    """The values a macro body may use on this case (apps/macros/placeholders.PLACEHOLDERS),
    as plain strings: nothing else of the case or the agent is reachable from a body."""
    contact = case.requester
    name = (contact.name or "").strip()
    email = next(
        (i.value for i in contact.identities.all() if i.kind == "email"),
        "",
    )
    return {
        "contact.name": name,
        "contact.first_name": name.split()[0] if name else "",
        "contact.email": email,
        "case.reference": case.reference,
        "case.subject": case.subject,
        "agent.name": agent.get_full_name() or agent.get_username(),
        "agent.first_name": agent.first_name or agent.get_username(),
        "team.name": case.team.name if case.team else "",
    }


def macro_render(*, macro: Macro, case: Case, agent: User) -> placeholders.Rendered:
    return placeholders.render(macro.body, placeholder_values(case=case, agent=agent))


def macro_changes(*, macro: Macro, kind: str) -> list[str]:
    """What sending with this macro will also do to the case, in the order it is done
    (apps/macros/services.macro_apply), as the composer lists it."""
    changes = []
    if macro.set_team_id and macro.set_team is not None:
        changes.append(f"Team → {macro.set_team.name}")
    if macro.assign == Macro.Assign.ME:
        changes.append("Assign to you")
    elif macro.assign == Macro.Assign.UNASSIGN:
        changes.append("Unassign")
    if macro.set_priority:
        changes.append(f"Priority → {Case.Priority(macro.set_priority).label}")
    if macro.tag_names():
        changes.append(f"Add tags: {', '.join(macro.tag_names())}")
    if macro.set_status:
        label = Case.Status(macro.set_status).label
        if status_in_form(macro=macro, kind=kind):
            changes.append(f"Status → {label} (in “Then set status”)")
        else:
            changes.append(f"Status → {label}")
    return changes


def status_in_form(*, macro: Macro, kind: str) -> bool:
    """True when the macro's status travels in the reply's "Then set status" box (so the
    agent's choice there wins) rather than being set by the macro after sending."""
    return kind == "reply" and macro.set_status in THEN_STATUSES


class Staged(NamedTuple):
    """A macro chosen in the composer and not sent yet: what it will change."""

    macro: Macro
    changes: list[str]


class ComposerState(NamedTuple):
    macros: list[Macro]
    draft: ComposerDraft | None


def composer_state(*, user: User, case: Case) -> ComposerState:
    """The picker's macros and the user's draft on the case (two queries)."""
    draft = ComposerDraft.objects.filter(agent=user, case=case).first()
    return ComposerState(macros_for(user=user), draft)


def staged(*, macros: list[Macro], macro_id: object, kind: str) -> Staged | None:
    """The staged macro among the user's visible `macros` (no query), or None when the id
    is empty, malformed or not one of them (a macro since hidden is dropped, not applied)."""
    try:
        wanted = int(str(macro_id))
    except ValueError:
        return None
    macro = next((m for m in macros if m.pk == wanted), None)
    return Staged(macro, macro_changes(macro=macro, kind=kind)) if macro else None


def case_for_placeholders(*, case_id: int) -> Case:
    """The case with what its placeholders read: requester, their identities, team."""
    return (
        Case.objects.select_related("requester", "team")
        .prefetch_related("requester__identities")
        .get(pk=case_id)
    )
