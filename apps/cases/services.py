"""Writes on cases. The only place a case's status, owner or content changes.

Every function here records what it changed as CaseEvent rows in the same transaction,
so the audit trail and the case can never disagree, and ends by announcing the change
through apps/cases/events.py (webhooks, and whatever else subscribes, hear it there).
"""

import enum
import html
import unicodedata
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any, Final, Literal, NamedTuple, NotRequired, TypedDict, Unpack

import nh3
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from apps.accounts.models import AgentProfile, Team, role_of
from apps.accounts.types import User
from apps.contacts.models import Contact
from apps.core.errors import DomainError
from apps.core.queue import enqueue_on_commit
from apps.rootcauses.models import RootCause
from apps.rootcauses.services import root_cause_assignable

from . import events, outbound, quoting
from .models import (
    EXTERNAL_ID_MAX_BYTES,
    Attachment,
    Case,
    CaseEvent,
    Channel,
    Interaction,
    Tag,
)

Status = Case.Status
Direction = Interaction.Direction


class UserRef(TypedDict):
    """A user as a CaseEvent records it."""

    id: int
    username: str


class RootCauseRef(TypedDict):
    """A root cause as a CaseEvent records it (the path as it read then)."""

    id: int
    path: str


class TeamRef(TypedDict):
    """A team as a CaseEvent records it."""

    id: int
    name: str


class AttachmentFile(TypedDict):
    """One file for `attachments_add`."""

    filename: str
    content: bytes
    content_type: NotRequired[str]
    content_id: NotRequired[str]


class _ChangeExtras(TypedDict, total=False):
    """What `_change` passes on to `events.change` beside the fields and their values."""

    interaction: Interaction | None
    related: Mapping[str, int] | None
    actor: User | None
    actor_contact: Contact | None


class _OpenedBy(TypedDict):
    """Who opened a case: the agent on the customer's behalf, or the customer."""

    actor: User | None
    actor_contact: Contact | None


class CaseError(DomainError):
    """A case operation that the case's current state does not allow."""

    code = "case_error"
    status = 400


class InvalidTransition(CaseError):
    code = "invalid_transition"
    status = 409

    def __init__(self, *, current: str, requested: str):
        self.current, self.requested = current, requested
        allowed = sorted(Case.ALLOWED_TRANSITIONS[current])
        super().__init__(
            f"a {current} case cannot become {requested}"
            + (f" (allowed: {', '.join(allowed)})" if allowed else " (it is final)")
        )


class InvalidAssignee(CaseError):
    code = "invalid_assignee"
    field = "assignee"


class RoutingNotAllowed(CaseError):
    """An agent gave a case a team, or a person, outside their own teams (`field` names it)."""

    code = "routing_not_allowed"

    def __init__(self, message: str, *, field: str):
        self.field = field
        super().__init__(message)


class RootCauseRequired(CaseError):
    """The case's team solves cases only once they have a root cause (Team setting)."""

    code = "root_cause_required"
    status = 409
    field = "root_cause"


class MergeError(CaseError):
    code = "invalid_merge"
    status = 409


class AttachmentTooLarge(CaseError):
    code = "attachment_too_large"
    status = 413


class TooManyAttachments(CaseError):
    code = "too_many_attachments"


class ExternalIdTooLong(CaseError):
    code = "external_id_too_long"
    field = "external_id"


def _require_external_id(external_id: str) -> None:
    """The unique (channel, external_id) index holds a bounded row (2,704 bytes on
    PostgreSQL): a longer id is refused here, for every channel, rather than failing there.
    (Email keys long Message-IDs first: apps.mail.references.message_id_key.)"""
    size = len(external_id.encode("utf-8", "surrogatepass"))
    if size > EXTERNAL_ID_MAX_BYTES:
        raise ExternalIdTooLong(
            f"external_id is {size} bytes; at most {EXTERNAL_ID_MAX_BYTES} in UTF-8"
        )


def _require_choice(value: str, choices: type[models.TextChoices], field: str) -> None:
    if value not in choices.values:
        raise CaseError(f"unknown {field} {value!r} (one of {', '.join(choices.values)})")


def _event(
    case: Case,
    kind: str,
    *,
    actor: User | None = None,
    actor_contact: Contact | None = None,
    before: object = None,
    after: object = None,
) -> CaseEvent:
    return CaseEvent.objects.create(
        case=case, kind=kind, actor=actor, actor_contact=actor_contact, before=before, after=after
    )


def _locked(case_id: int) -> Case:
    return Case.objects.select_for_update().get(pk=case_id)


def _user_ref(user: User | None) -> UserRef | None:
    return {"id": user.pk, "username": user.get_username()} if user else None


def _team_ref(team: Team | None) -> TeamRef | None:
    return {"id": team.pk, "name": team.name} if team else None


def _root_cause_ref(root_cause: RootCause | None) -> RootCauseRef | None:
    return {"id": root_cause.pk, "path": root_cause.path} if root_cause else None


def _check_root_cause_before_solve(case: Case) -> None:
    """Refuse to solve a case without a root cause when its team requires one (one query,
    only when solving a case that has none)."""
    if case.root_cause_id is not None or case.team_id is None:
        return
    if Team.objects.filter(pk=case.team_id, root_cause_required=True).exists():
        raise RootCauseRequired(
            f"{case.reference} needs a root cause before it is solved (its team requires "
            f"one): set the root cause, then solve it"
        )


def _check_assignee(case: Case, assignee: User | None) -> None:
    if assignee is None:
        return
    if not assignee.is_active:
        raise InvalidAssignee(f"{assignee.get_username()} is not an active user")
    if case.team_id and not assignee.teams.filter(pk=case.team_id).exists():
        raise InvalidAssignee(f"{assignee.get_username()} is not a member of team {case.team}")


def routing_check(
    *,
    actor: User | None,
    team: Team | None = None,
    assignee: User | None = None,
    assignee_field: str = "assignee",
) -> None:
    """Who may route a case where: the one rule every path that sets a team or assignee uses.

    An agent (or a token an agent owns) may give a case one of their own teams, and assign it
    to themselves or to someone who shares one of their teams: what they route stays among
    the people they work with. Supervisors and admins route anywhere (a supervisor
    dispatches across teams). `actor` None is the system or the customer (mail, chat, social
    and provider webhooks route by configuration) and is not checked. Raises
    RoutingNotAllowed naming the field. Nobody assigns a case to a stakeholder: they work no
    case and see none (apps/accounts/confinement.py).
    """
    if assignee is not None and role_of(assignee) == AgentProfile.Role.STAKEHOLDER:
        raise RoutingNotAllowed(
            f"{assignee.get_username()} is a stakeholder: they see no case, so work none",
            field=assignee_field,
        )
    if actor is None or (team is None and assignee is None):
        return
    if role_of(actor) != AgentProfile.Role.AGENT:
        return
    own = list(actor.teams.values_list("pk", flat=True))
    if team is not None and team.pk not in own:
        raise RoutingNotAllowed(
            f"{actor.get_username()} is not in team {team}: agents route cases to their own "
            f"teams only (supervisors and admins route anywhere)",
            field="team",
        )
    if (
        assignee is not None
        and assignee.pk != actor.pk
        and not assignee.teams.filter(pk__in=own).exists()
    ):
        raise RoutingNotAllowed(
            f"{assignee.get_username()} shares no team with {actor.get_username()}: agents "
            f"assign cases to themselves or their teammates only (supervisors and admins "
            f"assign anyone)",
            field=assignee_field,
        )


def _check_reachable(case: Case, *, actor: User | None) -> None:
    """An agent may not leave a case with neither team nor assignee: no agent could see it
    (`Case.objects.visible_to`), the agent who did it included. Supervisors and admins may
    (admins see every case); the system and customers route by configuration."""
    if (
        actor is not None
        and case.team_id is None
        and case.assignee_id is None
        and role_of(actor) == AgentProfile.Role.AGENT
    ):
        raise RoutingNotAllowed(
            "a case needs a team or an assignee: with neither no agent could see it, you "
            "included (choose one of your teams)",
            field="team",
        )


def _set_status(
    case: Case,
    to: str,
    *,
    now: datetime,
    actor: User | None = None,
    actor_contact: Contact | None = None,
) -> list[str]:
    """Apply a legal status change to a locked case in memory; record it. Returns changed fields."""
    if not case.can_transition_to(to):
        raise InvalidTransition(current=case.status, requested=to)
    before = case.status
    changed = ["status"]
    if before == Status.SOLVED and to == Status.OPEN:
        case.reopen_count += 1
        case.solved_at = None
        changed += ["reopen_count", "solved_at"]
        _event(
            case,
            CaseEvent.Kind.REOPENED,
            actor=actor,
            actor_contact=actor_contact,
            before={"reopen_count": case.reopen_count - 1},
            after={"reopen_count": case.reopen_count},
        )
    if to == Status.SOLVED:
        _check_root_cause_before_solve(case)
        case.solved_at = now
        changed.append("solved_at")
    if to == Status.CLOSED:
        case.closed_at = now
        changed.append("closed_at")
    case.status = to
    _event(
        case,
        CaseEvent.Kind.STATUS,
        actor=actor,
        actor_contact=actor_contact,
        before=before,
        after=to,
    )
    return changed


def _snapshot(case: Case) -> dict[str, Any]:
    """The case's column values (foreign keys as ids), to announce what they were before."""
    return {f.name: f.value_from_object(case) for f in Case._meta.concrete_fields}


def _change(
    case: Case,
    changed: Iterable[str],
    *,
    start: Mapping[str, Any],
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    **kwargs: Unpack[_ChangeExtras],
) -> events.CaseChange:
    """The CaseChange of `changed` fields, before/after from `start` and the saved `case`
    (`before`/`after` add values that are not columns, such as the tags)."""
    now = _snapshot(case)
    fields = set(changed) - {"updated_at"}
    return events.change(
        case,
        fields=fields,
        before={**{f: start[f] for f in fields if f in start}, **(before or {})},
        after={**{f: now[f] for f in fields if f in now}, **(after or {})},
        **kwargs,
    )


def _announce_update(
    case: Case,
    changed: Iterable[str],
    *,
    start: Mapping[str, Any],
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    **kwargs: Unpack[_ChangeExtras],
) -> None:
    """Announce the change of a locked, saved case (delivered to subscribers on commit)."""
    events.announce_many(
        [_change(case, changed, start=start, before=before, after=after, **kwargs)]
    )


def sanitize_html(body_html: str) -> str:
    return nh3.clean(body_html) if body_html else ""


def text_from_html(body_html: str) -> str:
    """Readable text of an HTML body, for channels that send no text part."""
    if not body_html:
        return ""
    stripped = nh3.clean(body_html.replace("<br", "\n<br").replace("</p>", "</p>\n"), tags=set())
    return html.unescape(stripped).strip()


def _normalise_tags(names: Iterable[str]) -> list[str]:
    cleaned = {name.strip().lower() for name in names if name and name.strip()}
    return sorted(cleaned)


def _tags_get_or_create(names: list[str]) -> list[Tag]:
    """The tags of these names, made when missing: one SELECT when all exist (the usual
    case), one upsert more for the new ones (it returns their ids, also after a race)."""
    if not names:
        return []
    tags = list(Tag.objects.filter(name__in=names).order_by())
    missing = set(names) - {tag.name for tag in tags}
    if missing:
        tags += Tag.objects.bulk_create(
            [Tag(name=n) for n in sorted(missing)],
            update_conflicts=True,
            unique_fields=["name"],
            update_fields=["name"],
        )
    return sorted(tags, key=lambda tag: tag.name)


def _tags_known(case: Case, tags: list[Tag]) -> None:
    """A case just made has exactly these tags: `case.tags.all()` answers without a query."""
    # What prefetch_related_objects leaves behind, without its query (Django's own shape).
    known = case.tags.all()
    known._result_cache = list(tags)
    known._prefetch_done = True  # type: ignore[attr-defined]
    case._prefetched_objects_cache = {"tags": known}  # type: ignore[attr-defined]


class CaseOpened(NamedTuple):
    """What `case_open` returns: the case, and the first message stored with it (None when
    no body was given; after a lost race on its external_id, the message stored first)."""

    case: Case
    interaction: Interaction | None


def case_open(
    *,
    requester: Contact,
    subject: str,
    channel: str,
    priority: str = Case.Priority.NORMAL,
    team: Team | None = None,
    assignee: User | None = None,
    tags: Iterable[str] = (),
    custom_fields: dict[str, Any] | None = None,
    actor: User | None = None,
    body_text: str = "",
    body_html: str = "",
    external_id: str = "",
    metadata: dict[str, Any] | None = None,
    occurred_at: datetime | None = None,
    follow_up_of: Case | None = None,
    root_cause: RootCause | None = None,
) -> CaseOpened:
    """Open a case for `requester`; with a body, their first message is added to it.

    `actor` is the agent who opened it on the customer's behalf (None when the customer or an
    integration did). An assigned case starts open, an unassigned one new. Returns the case
    and its first message (`CaseOpened`).

    Every check runs before the first write, outside the transaction: a caller that catches
    a CaseError inside its own transaction goes on with it intact, so no savepoint is needed
    around the writes (on the API's create path that is two statements of its fifteen).
    """
    _require_choice(channel, Channel, "channel")
    _require_choice(priority, Case.Priority, "priority")
    if external_id:
        _require_external_id(external_id)
    subject = (subject or "").strip()[:255] or "(no subject)"
    case = Case(
        requester=requester,
        subject=subject,
        channel=channel,
        priority=priority,
        team=team,
        custom_fields=custom_fields or {},
        follow_up_of=follow_up_of,
        status=Status.OPEN if assignee else Status.NEW,
        assignee=assignee,
    )
    if occurred_at:
        case.created_at = occurred_at
    _check_assignee(case, assignee)
    routing_check(actor=actor, team=team, assignee=assignee)
    _check_reachable(case, actor=actor)
    if root_cause is not None:
        root_cause_assignable(root_cause)
        case.root_cause = root_cause
    with transaction.atomic(savepoint=False):
        case.save()
        tag_names = _normalise_tags(tags)
        tag_objects = _tags_get_or_create(tag_names)
        if tag_objects:
            case.tags.add(*tag_objects)
        _tags_known(case, tag_objects)
        opened_by: _OpenedBy = {"actor": actor, "actor_contact": None if actor else requester}
        created: dict[str, Any] = {
            "subject": case.subject,
            "status": case.status,
            "priority": case.priority,
            "channel": case.channel,
            "team": _team_ref(team),
            "assignee": _user_ref(assignee),
            "tags": tag_names,
            "follow_up_of": follow_up_of.pk if follow_up_of else None,
        }
        if root_cause is not None:
            created["root_cause"] = _root_cause_ref(root_cause)
        _event(case, CaseEvent.Kind.CREATED, **opened_by, after=created)
        linked: list[events.CaseChange] = []
        if follow_up_of:
            _event(follow_up_of, CaseEvent.Kind.FOLLOW_UP, **opened_by, after={"case_id": case.pk})
            linked.append(events.change(follow_up_of, related={"follow_up": case.pk}, **opened_by))
        interaction, stored = None, False
        if body_text or body_html:
            # The case is ours alone until this transaction commits: no lock or re-read needed.
            interaction, stored = _interaction_store(
                case,
                channel=channel,
                direction=Direction.INBOUND,
                is_public=True,
                author_contact=requester,
                author_agent=None,
                subject=subject,
                body_text=body_text,
                body_html=body_html,
                external_id=external_id,
                metadata=metadata,
                occurred_at=occurred_at or timezone.now(),
            )
        opened = events.change(
            case,
            created=True,
            after=created,
            interaction=interaction if stored else None,
            **opened_by,
        )
        events.announce_many([opened, *linked])
    return CaseOpened(case, interaction)


@transaction.atomic
def interaction_add(
    *,
    case_id: int,
    channel: str,
    direction: str,
    body_text: str = "",
    body_html: str = "",
    is_public: bool = True,
    author_contact: Contact | None = None,
    author_agent: User | None = None,
    subject: str = "",
    external_id: str = "",
    metadata: dict[str, Any] | None = None,
    occurred_at: datetime | None = None,
) -> Interaction:
    """Add one message, call or note to a case and apply what it means for the case.

    - The same `external_id` on the same channel is stored once: a redelivery returns the
      interaction stored the first time and changes nothing.
    - A public inbound message reopens a solved case, moves a pending or on-hold case back
      to open, and goes to a new follow-up case when the case is closed.
    - The first public outbound message from an agent is the case's first response.
    """
    _require_choice(channel, Channel, "channel")
    _require_choice(direction, Direction, "direction")
    if external_id:
        _require_external_id(external_id)
        existing = Interaction.objects.filter(channel=channel, external_id=external_id).first()
        if existing:
            return existing
    now = timezone.now()
    case = _locked(case_id)
    inbound_public = direction == Direction.INBOUND and is_public

    if inbound_public and case.status == Status.CLOSED:
        target = case.merged_into if case.merged_into_id else None
        if target is not None and target.status != Status.CLOSED:
            case = _locked(target.pk)
        else:
            follow_up = case_open(
                requester=author_contact or case.requester,
                subject=subject or case.subject,
                channel=channel,
                priority=case.priority,
                team=case.team,
                follow_up_of=case,
                occurred_at=occurred_at,
            ).case
            case = _locked(follow_up.pk)

    start = _snapshot(case)
    interaction, created = _interaction_store(
        case,
        channel=channel,
        direction=direction,
        is_public=is_public,
        author_contact=author_contact,
        author_agent=author_agent,
        subject=subject,
        body_text=body_text,
        body_html=body_html,
        external_id=external_id,
        metadata=metadata,
        occurred_at=occurred_at or now,
    )
    if not created:  # a concurrent delivery of the same message won the race
        return interaction
    actor_contact = author_contact
    changed: list[str] = []
    if inbound_public and case.status in (Status.SOLVED, Status.PENDING, Status.ON_HOLD):
        changed += _set_status(case, Status.OPEN, now=now, actor_contact=actor_contact)
    first_response = direction == Direction.OUTBOUND and is_public and author_agent is not None
    if first_response and case.first_response_at is None:
        case.first_response_at = interaction.occurred_at
        changed.append("first_response_at")
    case.save(update_fields=[*changed, "updated_at"])
    _announce_update(
        case,
        changed,
        start=start,
        interaction=interaction,
        actor=author_agent,
        actor_contact=author_contact,
    )
    return interaction


def _interaction_store(
    case: Case,
    *,
    channel: str,
    direction: str,
    is_public: bool,
    author_contact: Contact | None,
    author_agent: User | None,
    subject: str,
    body_text: str,
    body_html: str,
    external_id: str,
    metadata: dict[str, Any] | None,
    occurred_at: datetime,
) -> tuple[Interaction, bool]:
    """Insert one interaction on a locked (or just created) case and record its event.

    Returns (interaction, created); created is False when a concurrent delivery of the same
    external id stored it first.
    """
    body_text = body_text or text_from_html(body_html)
    body_html = sanitize_html(body_html)
    # Where an email's quoted history and signature start, for the case page to fold them.
    fold = (
        quoting.fold_points(body_text=body_text, body_html=body_html)
        if channel == Channel.EMAIL
        else None
    )
    interaction = Interaction(
        case=case,
        channel=channel,
        direction=direction,
        is_public=is_public,
        author_contact=author_contact,
        author_agent=author_agent,
        subject=subject[:998],
        body_text=body_text,
        body_html=body_html,
        external_id=external_id,
        metadata=dict(metadata or {}),
        quote_fold=fold,
        occurred_at=occurred_at,
    )
    if external_id:
        try:
            with transaction.atomic():
                interaction.save()
        except IntegrityError:
            return Interaction.objects.get(channel=channel, external_id=external_id), False
    else:
        interaction.save()
    _event(
        case,
        CaseEvent.Kind.INTERACTION,
        actor=author_agent,
        actor_contact=author_contact,
        after={
            "interaction_id": interaction.pk,
            "channel": channel,
            "direction": direction,
            "public": is_public,
        },
    )
    return interaction, True


def case_reply(
    *,
    case_id: int,
    agent: User,
    body_text: str = "",
    body_html: str = "",
    channel: str | None = None,
    then_status: str | None = None,
    metadata: dict[str, Any] | None = None,
    external_id: str = "",
    occurred_at: datetime | None = None,
    attachments: list[AttachmentFile] | None = None,
) -> Interaction:
    """An agent's public answer, on the case's channel unless another is given.

    An unassigned case is assigned to the agent who answers it (when they are in its team);
    a new case becomes open, or `then_status` (e.g. pending: waiting for the customer).
    `occurred_at` is for replies imported from another system; it defaults to now.
    `attachments` are stored on the reply in the same transaction (`attachments_add`: a file
    over the limits refuses the whole reply), before the send task runs on commit.
    """
    with transaction.atomic():
        case = _locked(case_id)
        if case.status == Status.CLOSED:
            raise CaseError(
                f"{case.reference} is closed; the customer's next message opens a follow-up case"
            )
        interaction = interaction_add(
            case_id=case_id,
            channel=channel or case.channel,
            direction=Direction.OUTBOUND,
            author_agent=agent,
            body_text=body_text,
            body_html=body_html,
            metadata=metadata,
            external_id=external_id,
            occurred_at=occurred_at,
        )
        if attachments:
            attachments_add(interaction=interaction, files=attachments)
        _send_on_commit(interaction)
        if case.assignee_id is None and not _is_member_elsewhere(case, agent):
            case = case_assign(case_id=case_id, assignee=agent, actor=agent)
        target = then_status or (Status.OPEN if case.status == Status.NEW else None)
        if target and target != case.status:
            case_transition(case_id=case_id, to=target, actor=agent)
        return interaction


def _send_on_commit(interaction: Interaction) -> None:
    """Mark a public outbound message pending and have its channel's sender send it after
    commit (apps/cases/outbound.py), when the channel has a sender."""
    if outbound.has_sender(interaction.channel) and not interaction.delivery_status:
        Interaction.objects.filter(pk=interaction.pk).update(
            delivery_status=Interaction.Delivery.PENDING
        )
        interaction.delivery_status = Interaction.Delivery.PENDING
        enqueue_on_commit("apps.cases.tasks.send_interaction", interaction.pk)


def case_message(
    *,
    case_id: int,
    channel: str,
    body_text: str,
    body_html: str = "",
    metadata: dict[str, Any] | None = None,
) -> Interaction:
    """A message the system itself sends the customer on a case (a satisfaction survey's
    request): public and outbound like a reply, sent by the same sender, but from no agent —
    so it is no response for the SLA clocks or FCR, assigns nobody and changes no status."""
    with transaction.atomic():
        interaction = interaction_add(
            case_id=case_id,
            channel=channel,
            direction=Direction.OUTBOUND,
            body_text=body_text,
            body_html=body_html,
            metadata=metadata,
        )
        _send_on_commit(interaction)
        return interaction


def _is_member_elsewhere(case: Case, agent: User) -> bool:
    """True when the case belongs to a team the agent is not in (then we do not auto-assign)."""
    team_id = case.team_id
    if not team_id:
        return False
    return not agent.teams.filter(pk=team_id).exists()


def case_note(
    *,
    case_id: int,
    agent: User,
    body_text: str = "",
    body_html: str = "",
    attachments: list[AttachmentFile] | None = None,
) -> Interaction:
    """An internal note: visible to agents only, changes no status. `attachments` are stored
    on it in the same transaction (refused together with the note over the limits)."""
    with transaction.atomic():
        note = interaction_add(
            case_id=case_id,
            channel=Channel.WEB,
            direction=Direction.OUTBOUND,
            is_public=False,
            author_agent=agent,
            body_text=body_text,
            body_html=body_html,
        )
        if attachments:
            attachments_add(interaction=note, files=attachments)
    return note


@transaction.atomic
def case_transition(*, case_id: int, to: str, actor: User | None = None) -> Case:
    case = _locked(case_id)
    if to == case.status:
        return case
    start = _snapshot(case)
    changed = _set_status(case, to, now=timezone.now(), actor=actor)
    case.save(update_fields=[*changed, "updated_at"])
    _announce_update(case, changed, start=start, actor=actor)
    return case


@transaction.atomic
def case_reopen(
    *, case_id: int, actor: User | None = None, actor_contact: Contact | None = None
) -> Case:
    """Reopen a solved case (counted in reopen_count). A closed case cannot be reopened."""
    case = _locked(case_id)
    start = _snapshot(case)
    changed = _set_status(
        case, Status.OPEN, now=timezone.now(), actor=actor, actor_contact=actor_contact
    )
    case.save(update_fields=[*changed, "updated_at"])
    _announce_update(case, changed, start=start, actor=actor, actor_contact=actor_contact)
    return case


@transaction.atomic
def case_assign(*, case_id: int, assignee: User | None, actor: User | None = None) -> Case:
    """Give the case to `assignee` (None to unassign). Assigning a new case opens it."""
    case = _locked(case_id)
    if case.status == Status.CLOSED:
        raise CaseError("a closed case cannot be reassigned")
    if case.assignee_id == (assignee.pk if assignee else None):
        return case
    _check_assignee(case, assignee)
    routing_check(actor=actor, assignee=assignee)
    start = _snapshot(case)
    _event(
        case,
        CaseEvent.Kind.ASSIGNEE,
        actor=actor,
        before=_user_ref(case.assignee),
        after=_user_ref(assignee),
    )
    case.assignee = assignee
    _check_reachable(case, actor=actor)
    changed = ["assignee"]
    if assignee is not None and case.status == Status.NEW:
        changed += _set_status(case, Status.OPEN, now=timezone.now(), actor=actor)
    case.save(update_fields=[*changed, "updated_at"])
    _announce_update(case, changed, start=start, actor=actor)
    return case


@transaction.atomic
def case_set_team(*, case_id: int, team: Team | None, actor: User | None = None) -> Case:
    """Move the case to another team; an assignee who is not in that team is unassigned."""
    case = _locked(case_id)
    if case.team_id == (team.pk if team else None):
        return case
    routing_check(actor=actor, team=team)
    start = _snapshot(case)
    _event(
        case, CaseEvent.Kind.TEAM, actor=actor, before=_team_ref(case.team), after=_team_ref(team)
    )
    case.team = team
    _check_reachable(case, actor=actor)
    changed = ["team"]
    if team and case.assignee_id and not team.members.filter(pk=case.assignee_id).exists():
        _event(
            case, CaseEvent.Kind.ASSIGNEE, actor=actor, before=_user_ref(case.assignee), after=None
        )
        case.assignee = None
        changed.append("assignee")
    case.save(update_fields=[*changed, "updated_at"])
    _announce_update(case, changed, start=start, actor=actor)
    return case


def _set_field(*, case_id: int, field: str, value: object, kind: str, actor: User | None) -> Case:
    """Change one plain field of a case, recording the event and announcing the update."""
    case = _locked(case_id)
    before = getattr(case, field)
    if before == value:
        return case
    start = _snapshot(case)
    _event(case, kind, actor=actor, before=before, after=value)
    setattr(case, field, value)
    case.save(update_fields=[field, "updated_at"])
    _announce_update(case, [field], start=start, actor=actor)
    return case


@transaction.atomic
def case_set_priority(*, case_id: int, priority: str, actor: User | None = None) -> Case:
    _require_choice(priority, Case.Priority, "priority")
    return _set_field(
        case_id=case_id, field="priority", value=priority, kind=CaseEvent.Kind.PRIORITY, actor=actor
    )


@transaction.atomic
def case_set_root_cause(
    *, case_id: int, root_cause: RootCause | None, actor: User | None = None
) -> Case:
    """Give the case a root cause (None to clear it). A retired node cannot be newly given
    (RootCauseRetired, field root_cause); a case keeps the one it has when it is retired."""
    case = _locked(case_id)
    if case.root_cause_id == (root_cause.pk if root_cause else None):
        return case
    if root_cause is not None:
        root_cause = RootCause.objects.get(pk=root_cause.pk)  # as it is now, not as passed
        root_cause_assignable(root_cause)
    start = _snapshot(case)
    _event(
        case,
        CaseEvent.Kind.ROOT_CAUSE,
        actor=actor,
        before=_root_cause_ref(case.root_cause),
        after=_root_cause_ref(root_cause),
    )
    case.root_cause = root_cause
    case.save(update_fields=["root_cause", "updated_at"])
    _announce_update(case, ["root_cause"], start=start, actor=actor)
    return case


@transaction.atomic
def case_set_tags(*, case_id: int, tags: Iterable[str], actor: User | None = None) -> Case:
    case = _locked(case_id)
    before = sorted(case.tags.values_list("name", flat=True))
    after = _normalise_tags(tags)
    if before == after:
        return case
    case.tags.set(_tags_get_or_create(after))
    _event(case, CaseEvent.Kind.TAGS, actor=actor, before=before, after=after)
    case.save(update_fields=["updated_at"])
    _announce_update(
        case, ["tags"], start={}, before={"tags": before}, after={"tags": after}, actor=actor
    )
    return case


@transaction.atomic
def case_merge(*, source_id: int, target_id: int, actor: User | None = None) -> Case:
    """Fold `source` into `target`: its interactions and tags move, and it is closed.

    Used when one customer problem was opened twice (an email and a call about the same
    thing). Both cases record the merge.
    """
    if source_id == target_id:
        raise MergeError("a case cannot be merged into itself")
    locked = {
        c.pk: c
        for c in Case.objects.select_for_update().filter(pk__in=sorted([source_id, target_id]))
    }
    if len(locked) != 2:
        raise MergeError("both cases must exist")
    source, target = locked[source_id], locked[target_id]
    if source.merged_into_id:
        raise MergeError(f"{source.reference} was merged already")
    if source.status == Status.CLOSED:
        raise MergeError(f"{source.reference} is closed")
    if target.status == Status.CLOSED:
        raise MergeError(f"{target.reference} is closed; merge into an open case")

    now = timezone.now()
    source_start, target_start = _snapshot(source), _snapshot(target)
    moved = Interaction.objects.filter(case=source).update(case=target)
    merged_tags = set(target.tags.values_list("pk", flat=True)) | set(
        source.tags.values_list("pk", flat=True)
    )
    target.tags.set(merged_tags)
    _event(
        target,
        CaseEvent.Kind.MERGED_FROM,
        actor=actor,
        after={"case_id": source.pk, "reference": source.reference, "interactions": moved},
    )
    target_changed: list[str] = []
    if target.status == Status.SOLVED and source.status != Status.SOLVED:
        target_changed += _set_status(target, Status.OPEN, now=now, actor=actor)
    if source.first_response_at and (
        target.first_response_at is None or source.first_response_at < target.first_response_at
    ):
        target.first_response_at = source.first_response_at
        target_changed.append("first_response_at")
    target.save(update_fields=[*target_changed, "updated_at"])

    _event(
        source,
        CaseEvent.Kind.MERGED_INTO,
        actor=actor,
        after={"case_id": target.pk, "reference": target.reference},
    )
    _event(source, CaseEvent.Kind.STATUS, actor=actor, before=source.status, after=Status.CLOSED)
    source.status = Status.CLOSED
    source.closed_at = now
    source.merged_into = target
    source.save(update_fields=["status", "closed_at", "merged_into", "updated_at"])
    events.announce_many(
        [
            _change(
                target,
                [*target_changed, "interactions", "tags"],
                start=target_start,
                related={"merged_from": source.pk},
                actor=actor,
            ),
            _change(
                source, ["status", "closed_at", "merged_into"], start=source_start, actor=actor
            ),
        ]
    )
    return target


def attachment_add(
    *,
    interaction: Interaction,
    filename: str,
    content: bytes,
    content_type: str = "application/octet-stream",
    content_id: str = "",
) -> Attachment:
    """Store one file on an interaction: `attachments_add` for a single file."""
    [attachment] = attachments_add(
        interaction=interaction,
        files=[
            {
                "filename": filename,
                "content": content,
                "content_type": content_type,
                "content_id": content_id,
            }
        ],
    )
    return attachment


def attachments_add(*, interaction: Interaction, files: list[AttachmentFile]) -> list[Attachment]:
    """Store files on an interaction (Django storage, under random names); each file a dict
    of filename, content and optionally content_type and content_id.

    Refuses a file over CXDESK_MAX_ATTACHMENT_BYTES (AttachmentTooLarge) and more files
    than CXDESK_MAX_ATTACHMENTS_PER_MESSAGE on one interaction (TooManyAttachments), before
    storing any: every channel goes through here, so the limits hold for all of them (one
    COUNT query whatever the number of files). The sender's filename is kept in `filename`
    only; the storage path is `attachment_storage_name()`.
    """
    limit = settings.CXDESK_MAX_ATTACHMENT_BYTES
    for file in files:
        if len(file["content"]) > limit:
            raise AttachmentTooLarge(
                f"{file['filename']!r} is {len(file['content'])} bytes; the limit is {limit}"
            )
    cap = settings.CXDESK_MAX_ATTACHMENTS_PER_MESSAGE
    if files and interaction.attachments.count() + len(files) > cap:
        raise TooManyAttachments(
            f"{len(files)} more files would pass the limit of {cap} attachments on one message"
        )
    stored: list[Attachment] = []
    for file in files:
        # Control characters (NUL, CR, LF…) are never part of a real name; PostgreSQL refuses
        # NUL. The path is left out: only the last part is the file's name.
        printable = "".join(c for c in file["filename"] or "" if unicodedata.category(c) != "Cc")
        base = printable.replace("\\", "/").rsplit("/", 1)[-1].lstrip(".")
        attachment = Attachment(
            interaction=interaction,
            filename=(base or "attachment")[:255],
            content_type=file.get("content_type") or "application/octet-stream",
            size=len(file["content"]),
            content_id=(file.get("content_id") or "").strip("<>")[:255],
        )
        # The name given here is not used: upload_to draws a random one.
        attachment.file.save("attachment", ContentFile(file["content"]), save=False)
        attachment.save()
        stored.append(attachment)
    return stored


def cases_close_solved(*, now: datetime | None = None, batch_size: int = 500) -> int:
    """Close one batch of cases solved longer ago than CXDESK_AUTO_CLOSE_AFTER_DAYS.

    Set-based (one UPDATE, one bulk INSERT of events) and safe to run twice or from two
    workers at once: rows are claimed with SKIP LOCKED and re-checked in the UPDATE.
    Returns how many cases it closed; callers loop until it returns less than a batch.
    """
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.CXDESK_AUTO_CLOSE_AFTER_DAYS)
    with transaction.atomic():
        ids = list(
            Case.objects.select_for_update(skip_locked=True)
            .filter(status=Status.SOLVED, solved_at__lt=cutoff)
            .order_by("solved_at", "pk")
            .values_list("pk", flat=True)[:batch_size]
        )
        if not ids:
            return 0
        Case.objects.filter(pk__in=ids, status=Status.SOLVED).update(
            status=Status.CLOSED, closed_at=now, updated_at=now
        )
        CaseEvent.objects.bulk_create(
            CaseEvent(
                case_id=pk,
                kind=CaseEvent.Kind.STATUS,
                before=Status.SOLVED,
                after=Status.CLOSED,
                at=now,
            )
            for pk in ids
        )
        # One batch, by id: a subscriber that needs the closed cases reads them at once.
        events.announce_many(
            events.change(
                pk,
                fields=["closed_at", "status"],
                before={"status": Status.SOLVED, "closed_at": None},
                after={"status": Status.CLOSED, "closed_at": now},
            )
            for pk in ids
        )
    return len(ids)


@transaction.atomic
def case_set_subject(*, case_id: int, subject: str, actor: User | None = None) -> Case:
    subject = (subject or "").strip()[:255]
    if not subject:
        raise CaseError("a case needs a subject")
    return _set_field(
        case_id=case_id, field="subject", value=subject, kind=CaseEvent.Kind.SUBJECT, actor=actor
    )


@transaction.atomic
def case_set_custom_fields(
    *, case_id: int, values: Mapping[str, Any], actor: User | None = None
) -> Case:
    """Merge `values` into the case's custom fields; a None value removes that field."""
    case = _locked(case_id)
    merged = dict(case.custom_fields)
    for name, value in values.items():
        if value is None:
            merged.pop(name, None)
        else:
            merged[name] = value
    if merged == case.custom_fields:
        return case
    start = _snapshot(case)
    changed = sorted(
        k
        for k in set(merged) | set(case.custom_fields)
        if merged.get(k) != case.custom_fields.get(k)
    )
    _event(
        case,
        CaseEvent.Kind.CUSTOM_FIELDS,
        actor=actor,
        before={k: case.custom_fields.get(k) for k in changed},
        after={k: merged.get(k) for k in changed},
    )
    case.custom_fields = merged
    case.save(update_fields=["custom_fields", "updated_at"])
    _announce_update(case, ["custom_fields"], start=start, actor=actor)
    return case


class _Unset(enum.Enum):
    """The type of `_UNSET`: an argument left out (None is a value: clear the field)."""

    UNSET = enum.auto()


_UNSET: Final = _Unset.UNSET


@transaction.atomic
def case_update(
    *,
    case_id: int,
    actor: User | None,
    subject: str | None = None,
    priority: str | None = None,
    team: Team | None | Literal[_Unset.UNSET] = _UNSET,
    assignee: User | None | Literal[_Unset.UNSET] = _UNSET,
    tags: Iterable[str] | None = None,
    custom_fields: Mapping[str, Any] | None = None,
    root_cause: RootCause | None | Literal[_Unset.UNSET] = _UNSET,
    status: str | None = None,
) -> Case:
    """Apply several changes at once, all or nothing; each change records its own event.

    `team`, `assignee` and `root_cause` accept None (to clear them); leave them out to keep
    them. The team changes first (so an assignee can be checked against it) and the status last.
    """
    if team is not _UNSET:
        case_set_team(case_id=case_id, team=team, actor=actor)
    if assignee is not _UNSET:
        case_assign(case_id=case_id, assignee=assignee, actor=actor)
    if priority is not None:
        case_set_priority(case_id=case_id, priority=priority, actor=actor)
    if subject is not None:
        case_set_subject(case_id=case_id, subject=subject, actor=actor)
    if tags is not None:
        case_set_tags(case_id=case_id, tags=tags, actor=actor)
    if custom_fields is not None:
        case_set_custom_fields(case_id=case_id, values=custom_fields, actor=actor)
    if root_cause is not _UNSET:  # before the status: a solve may require it
        case_set_root_cause(case_id=case_id, root_cause=root_cause, actor=actor)
    if status is not None:
        case_transition(case_id=case_id, to=status, actor=actor)
    return Case.objects.get(pk=case_id)
