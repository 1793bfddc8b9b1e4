"""Writes of the composer: applying a macro's actions to a case, and saving drafts.

A macro changes a case only through apps/cases/services (`case_update`: each change its
own CaseEvent and announcement, the team first, the status last), with the agent as actor,
so the services' rules hold for it as for the header's forms: an agent's macro cannot route
a case outside their teams, nor make a transition the case does not allow. The composer
calls `macro_apply` in the transaction of the reply or note it filled in: a refused action
refuses the message too, and nothing is sent.
"""

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from apps.accounts.types import User
from apps.cases import services as case_services
from apps.cases.models import Case, Interaction, Tag
from apps.core.errors import DomainError

from . import selectors
from .models import DRAFT_MAX_LENGTH, ComposerDraft, Macro

DRAFT_KINDS = ("reply", "note")


class MacroNotFound(DomainError):
    """A macro that does not exist, is inactive, or is not visible to the agent."""

    code = "macro_not_found"
    status = 404
    field = "macro"


class DraftTooLarge(DomainError):
    code = "draft_too_large"
    status = 413
    field = "body"


class DraftOutdated(DomainError):
    """The composer a draft came from was sent since: the draft is not saved again."""

    code = "draft_outdated"
    status = 409


def _visible(macro_id: int, actor: User) -> Macro:
    try:
        return selectors.macro_visible(user=actor, macro_id=macro_id)
    except Macro.DoesNotExist:
        raise MacroNotFound("That macro is not available to you.") from None


@transaction.atomic
def macro_apply(*, macro_id: int, case_id: int, actor: User, include_status: bool = True) -> Case:
    """Apply a macro's actions to a case as `actor`, and count its use.

    `include_status=False` leaves the status to the caller (a reply that carries it in its
    "then set status"). Raises MacroNotFound for a macro the actor may not use, and the
    case services' errors for a change they refuse."""
    macro = _visible(macro_id, actor)
    # The order of case_update: the team first (an assignee is checked against it), the
    # status last.
    if macro.set_team is not None:
        case_services.case_set_team(case_id=case_id, team=macro.set_team, actor=actor)
    if macro.assign == Macro.Assign.ME:
        case_services.case_assign(case_id=case_id, assignee=actor, actor=actor)
    elif macro.assign == Macro.Assign.UNASSIGN:
        case_services.case_assign(case_id=case_id, assignee=None, actor=actor)
    if macro.set_priority:
        case_services.case_set_priority(case_id=case_id, priority=macro.set_priority, actor=actor)
    if macro.tag_names():
        current = Tag.objects.filter(cases=case_id).values_list("name", flat=True)
        case_services.case_set_tags(
            case_id=case_id, tags=[*current, *macro.tag_names()], actor=actor
        )
    if macro.set_status and include_status:
        case_services.case_transition(case_id=case_id, to=macro.set_status, actor=actor)
    Macro.objects.filter(pk=macro.pk).update(
        usage_count=F("usage_count") + 1, last_used_at=timezone.now()
    )
    return Case.objects.get(pk=case_id)


def draft_save(
    *,
    agent: User,
    case_id: int,
    body: str,
    kind: str = "reply",
    channel: str = "",
    macro_id: int | None = None,
    last_seen: int | None = None,
) -> ComposerDraft | None:
    """Keep what the agent has typed in a case's composer (one draft per agent and case).

    An empty composer (no text, no macro) deletes the draft and returns None. A body over
    DRAFT_MAX_LENGTH is refused (DraftTooLarge). `last_seen` is the composer's newest
    interaction id: when the agent has added a reply or note after it, that composer was
    sent, and a save arriving late from it is refused (DraftOutdated) rather than bringing
    the sent text back. A macro the agent may not use is not kept."""
    if len(body) > DRAFT_MAX_LENGTH:
        raise DraftTooLarge(
            f"Draft not saved: a message has at most {DRAFT_MAX_LENGTH:,} characters "
            f"({len(body):,} typed)."
        )
    if (
        last_seen is not None
        and Interaction.objects.filter(
            case_id=case_id, pk__gt=last_seen, author_agent=agent
        ).exists()
    ):
        raise DraftOutdated("This composer was sent already.")
    macro = None
    if macro_id:
        try:
            macro = selectors.macro_visible(user=agent, macro_id=macro_id)
        except Macro.DoesNotExist:
            macro = None
    if not body.strip() and macro is None:
        ComposerDraft.objects.filter(agent=agent, case_id=case_id).delete()
        return None
    draft, _ = ComposerDraft.objects.update_or_create(
        agent=agent,
        case_id=case_id,
        defaults={
            "body": body,
            "kind": kind if kind in DRAFT_KINDS else "reply",
            "channel": channel[:10],
            "macro": macro,
            "updated_at": timezone.now(),
        },
    )
    return draft


def draft_discard(*, agent: User, case_id: int) -> None:
    """The reply or note was sent: the agent's draft on the case is gone."""
    ComposerDraft.objects.filter(agent=agent, case_id=case_id).delete()
