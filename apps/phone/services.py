"""Writes on calls: record (or update) a call reported by a provider, the API or an agent.

The rules, in one place:

- **One call per sid.** Recording a known sid updates that call; the same report twice
  changes nothing (provider retries and duplicate status callbacks are harmless). Status only
  moves forward (queued → ringing → in-progress → a final status), so a late callback never
  moves a call back; times that are given overwrite, except `started_at`, which keeps the
  earliest time seen.
- **The customer** is the caller of an inbound call and the callee of an outbound one. Their
  number finds (or creates) their Contact (`contact_find_or_create(kind="phone")`), so a person
  who wrote by email and calls from a number on file is one contact.
- **Which case.** The case given (the API's `case`, the case page), else the contact's most
  recent case that is still open (new, open, pending or on hold; any channel; for an API user,
  among the cases they may see), else a new case ("Call from +1 …", channel phone).
  A call never reopens a *solved* case by itself: it carries no reference to a case, and a
  customer calling after a solve may well have a new problem. A new case is opened instead;
  an agent who sees it is the same problem merges the two (merging into the solved case
  reopens it, counted in reopen_count). Given a case explicitly, the rules of
  `interaction_add` apply as for any message: a solved case reopens, a pending one opens,
  a closed one gets a follow-up case.
- **One interaction per call.** The call shows on the case as one phone Interaction
  (external_id = sid), created when the call is first recorded. Later reports (answered,
  ended, duration, recording, disposition, notes) refresh its summary text and metadata; they
  never add another interaction.
- **Agent response.** An outbound call placed by an agent is that agent's public reply: it is
  added through `case_reply` (first response, assignment of an unassigned case, new → open).
  An inbound call counts as the agent's response once it has an agent and was answered: a
  second, outbound interaction "Answered by <agent>" (external_id "<sid>:answered") is added
  through `case_reply` at the answer time. First response, assignment and the FCR count of
  agent responses ("one handled call") then work exactly as for a reply, with no change to the
  case services. A missed call (busy, no-answer, canceled) or one no agent took is no response.

Every case change goes through apps.cases.services (which write the audit events and announce
the change). The one write here on a case's row is the refresh of the call's own interaction
(summary text and metadata): there is no case service for it, and it changes no case state;
it is announced (apps/cases/events.py, `interaction_updated`) for subscribers that count
handle time, and sends no webhook.
"""

import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any, Final, Literal, TypedDict, Unpack

import phonenumbers
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from apps.accounts.models import Team
from apps.accounts.types import User
from apps.cases import events as case_events
from apps.cases import services as case_services
from apps.cases.models import Case, Channel, Interaction
from apps.contacts import services as contact_services
from apps.contacts.identities import InvalidIdentity, normalize_phone
from apps.contacts.models import Contact

from .models import Call

PHONE = Channel.PHONE
RESPONSE_SUFFIX = ":answered"
SID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:\-]{0,63}$"
_sid_re = re.compile(SID_PATTERN)
_MACHINE_ANSWERS = ("machine", "fax")
# Times outside these bounds are typing errors (and would overflow date arithmetic).
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2999, 12, 31, tzinfo=UTC)


class _Facts(TypedDict):
    """One report about a call, checked and normalised; None: not reported."""

    direction: str | None
    from_number: str | None
    to_number: str | None
    status: str | None
    started_at: datetime | None
    answered_at: datetime | None
    ended_at: datetime | None
    duration_seconds: int | None
    disposition: str | None
    answered_by: str | None
    recording_url: str | None
    agent: User | None
    notes: str | None


_ChoiceFact = Literal["direction", "status", "disposition"]


class _FirstMessage(TypedDict, total=False):
    """What an inbound call gives the case it opens: its first message."""

    body_text: str
    external_id: str
    metadata: dict[str, Any]


def sid_is_valid(sid: str) -> bool:
    return bool(_sid_re.fullmatch(sid or ""))


def new_sid() -> str:
    """A sid for a call no provider numbered (logged by hand)."""
    return f"manual-{uuid.uuid4().hex}"


def display_number(e164: str) -> str:
    """An E.164 number for reading (+12025550143 → +1 202-555-0143); else as it is."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def format_duration(seconds: int) -> str:
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f"{hours} h {minutes:02d} min"
    return f"{minutes} min {secs:02d} s" if minutes else f"{secs} s"


@transaction.atomic
def call_record(
    *,
    sid: str,
    direction: str | None = None,
    from_number: str | None = None,
    to_number: str | None = None,
    status: str | None = None,
    provider: str = "api",
    started_at: datetime | None = None,
    answered_at: datetime | None = None,
    ended_at: datetime | None = None,
    duration_seconds: int | None = None,
    disposition: str | None = None,
    answered_by: str | None = None,
    recording_url: str | None = None,
    agent: User | None = None,
    notes: str | None = None,
    case: Case | None = None,
    team: Team | None = None,
    actor: User | None = None,
) -> tuple[Call, bool]:
    """Record a call, or update the call with this sid. Returns (call, created).

    None means "not reported" (the stored value stays). A new call needs `direction` and the
    customer's number (`from_number` inbound, `to_number` outbound); its status defaults to
    completed (a call reported after the fact). `case` and `team` only matter when the call is
    first recorded: the case to put it on, the team of a new case. `actor` is the user who
    reports it (None for a provider webhook): a new call from a known number only joins an
    open case that this user may see.

    Raises ValidationError (field errors) for a bad or contradictory report, CaseError when
    the case cannot take it (an outbound call on a closed case).
    """
    if not sid_is_valid(sid):
        raise ValidationError({"sid": ["1–64 letters, digits or . _ : - (a provider's id)."]})
    facts = _facts(
        direction=direction,
        from_number=from_number,
        to_number=to_number,
        status=status,
        started_at=started_at,
        answered_at=answered_at,
        ended_at=ended_at,
        duration_seconds=duration_seconds,
        disposition=disposition,
        answered_by=answered_by,
        recording_url=recording_url,
        agent=agent,
        notes=notes,
    )
    call = _locked_call(sid)
    if call is None:
        try:
            with transaction.atomic():
                return _call_create(
                    sid=sid, provider=provider, facts=facts, case=case, team=team, actor=actor
                ), True
        except IntegrityError:
            # A concurrent report of the same sid created it first: update that one.
            call = _locked_call(sid)
            if call is None:
                raise
    _call_update(call, facts)
    return call, False


def call_log(
    *,
    case: Case,
    agent: User,
    direction: str,
    number: str,
    status: str = Call.Status.COMPLETED,
    started_at: datetime | None = None,
    duration_seconds: int | None = None,
    disposition: str = "",
    notes: str = "",
) -> Call:
    """An agent logs a call with the customer by hand on a case (the case page's form).

    An outbound call is the agent's reply on the case; an answered (completed) inbound one
    counts as their response too. The call gets a generated sid and provider "manual".
    """
    started_at = started_at or timezone.now()
    answered = status == Call.Status.COMPLETED
    inbound = direction == Call.Direction.INBOUND
    ended_at = None
    if not answered:
        duration_seconds = 0
        ended_at = started_at
    elif duration_seconds is not None:
        ended_at = started_at + timedelta(seconds=duration_seconds)
    call, _ = call_record(
        sid=new_sid(),
        provider="manual",
        direction=direction,
        from_number=number if inbound else "",
        to_number="" if inbound else number,
        status=status,
        started_at=started_at,
        answered_at=started_at if answered else None,
        ended_at=ended_at,
        duration_seconds=duration_seconds,
        disposition=disposition,
        notes=notes,
        agent=agent,
        case=case,
        actor=agent,
    )
    return call


# --- internals ----------------------------------------------------------------------------


def _locked_call(sid: str) -> Call | None:
    # OF self: lock the call row only; PostgreSQL refuses FOR UPDATE on an outer join.
    return (
        Call.objects.select_for_update(of=("self",)).select_related("agent").filter(sid=sid).first()
    )


def _phone_or_error(value: str | None, field: str) -> str | None:
    if value is None or not value.strip():
        return None if value is None else ""
    try:
        return normalize_phone(value)
    except InvalidIdentity as exc:
        raise ValidationError({field: [f"{value!r}: {exc.reason}"]}) from None


def _facts(**facts: Unpack[_Facts]) -> _Facts:
    """Check and normalise one report. Values stay None when not reported."""
    errors: dict[str, list[str]] = {}
    choice_fields: tuple[tuple[_ChoiceFact, type[models.TextChoices]], ...] = (
        ("direction", Call.Direction),
        ("status", Call.Status),
        ("disposition", Call.Disposition),
    )
    for field, choices in choice_fields:
        value = facts[field]
        if value is not None and value not in choices.values:
            allowed = ", ".join(v for v in choices.values if v)
            errors[field] = [f"Unknown {field} {value!r} (one of {allowed})."]
    duration = facts["duration_seconds"]
    if duration is not None and (not isinstance(duration, int) or duration < 0):
        errors["duration_seconds"] = ["A whole number of seconds, 0 or more."]
    for time_field in ("started_at", "answered_at", "ended_at"):
        moment = facts[time_field]
        if moment is not None and timezone.is_naive(moment):
            errors[time_field] = ["A time with a time zone."]
        elif moment is not None and not EARLIEST <= moment <= LATEST:
            errors[time_field] = ["Not a plausible time for a call."]
    if errors:
        raise ValidationError(errors)
    facts["from_number"] = _phone_or_error(facts["from_number"], "from_number")
    facts["to_number"] = _phone_or_error(facts["to_number"], "to_number")
    if facts["answered_by"] is not None:
        facts["answered_by"] = facts["answered_by"][:32]
    return facts


def _call_create(
    *,
    sid: str,
    provider: str,
    facts: _Facts,
    case: Case | None,
    team: Team | None,
    actor: User | None,
) -> Call:
    direction = facts["direction"]
    if direction is None:
        raise ValidationError({"direction": ["Required to record a new call."]})
    inbound = direction == Call.Direction.INBOUND
    customer_field: Literal["from_number", "to_number"] = "from_number" if inbound else "to_number"
    if not facts[customer_field]:
        raise ValidationError(
            {customer_field: ["The customer's number is required to record a new call."]}
        )
    call = Call(
        sid=sid,
        provider=(provider or "api")[:32],
        direction=direction,
        from_number=facts["from_number"] or "",
        to_number=facts["to_number"] or "",
        status=facts["status"] or Call.Status.COMPLETED,
        started_at=facts["started_at"] or facts["answered_at"] or timezone.now(),
        answered_at=facts["answered_at"],
        ended_at=facts["ended_at"],
        duration_seconds=facts["duration_seconds"],
        disposition=facts["disposition"] or "",
        answered_by=facts["answered_by"] or "",
        recording_url=facts["recording_url"] or "",
        agent=facts["agent"],
        notes=facts["notes"] or "",
    )
    _settle(call)
    contact, _ = contact_services.contact_find_or_create(kind="phone", value=call.customer_number)
    call.contact = contact
    body, metadata = _summary(call), _metadata(call)
    # Posted earlier through the interactions API with this sid: that is the call's interaction.
    interaction = Interaction.objects.filter(channel=PHONE, external_id=sid).first()
    if interaction is None and case is None:
        case = _open_case_of(contact, actor=actor)
    if interaction is None and case is None:
        # An inbound call is the customer's first contact: it opens the case with them.
        first_message: _FirstMessage = (
            {"body_text": body, "external_id": sid, "metadata": metadata} if inbound else {}
        )
        case, interaction = case_services.case_open(
            requester=contact,
            subject=f"Call {'from' if inbound else 'to'} {display_number(call.customer_number)}",
            channel=PHONE,
            team=team,
            # Without a team the call's agent takes the case: a case with neither team nor
            # assignee is seen by no agent (and an agent may not open one).
            assignee=call.agent if team is None else None,
            actor=actor or (None if inbound else call.agent),
            occurred_at=call.started_at,
            **first_message,
        )
    if interaction is None:
        # Without an interaction, a case was given, found or opened just above.
        assert case is not None
        interaction = _add_call_interaction(case, call, body=body, metadata=metadata)
    call.case_id = interaction.case_id  # a closed case's follow-up may have received it
    call.interaction = interaction
    call.save()
    _register_response(call)
    return call


def _add_call_interaction(
    case: Case, call: Call, *, body: str, metadata: dict[str, Any]
) -> Interaction:
    if call.direction == Call.Direction.OUTBOUND and call.agent is not None:
        return case_services.case_reply(
            case_id=case.pk,
            agent=call.agent,
            channel=PHONE,
            body_text=body,
            metadata=metadata,
            external_id=call.sid,
            occurred_at=call.started_at,
        )
    inbound = call.direction == Call.Direction.INBOUND
    return case_services.interaction_add(
        case_id=case.pk,
        channel=PHONE,
        direction=Interaction.Direction.INBOUND if inbound else Interaction.Direction.OUTBOUND,
        author_contact=call.contact if inbound else None,
        body_text=body,
        external_id=call.sid,
        metadata=metadata,
        occurred_at=call.started_at,
    )


def _open_case_of(contact: Contact, *, actor: User | None) -> Case | None:
    """The contact's most recent case that is not solved or closed, on any channel."""
    cases = Case.objects.visible_to(actor) if actor is not None else Case.objects.all()
    return (
        cases.for_contact(contact)
        .open()
        .filter(merged_into__isnull=True)
        .order_by("-created_at", "-id")
        .first()
    )


def _call_update(call: Call, facts: _Facts) -> None:
    changed = _identity_update(call, facts) | _progress_update(call, facts) | _settle(call)
    interaction = call.interaction if call.interaction_id else None
    if interaction is not None and interaction.case_id != call.case_id:
        call.case_id = interaction.case_id  # the case was merged into another since
        changed.add("case")
    if changed:
        call.save(update_fields=[*sorted(changed), "updated_at"])
        if interaction is not None:
            _interaction_refresh(interaction, call)
    _register_response(call)


def _identity_update(call: Call, facts: _Facts) -> set[str]:
    """What makes the call this call never changes (direction, a number once known); a
    number unknown until now (our side, for a softphone client) is filled in. Returns the
    fields it changed; raises ValidationError for a contradiction."""
    errors: dict[str, list[str]] = {}
    if facts["direction"] is not None and facts["direction"] != call.direction:
        errors["direction"] = [f"This call was recorded as {call.direction}; it cannot change."]
    changed: set[str] = set()
    for field in ("from_number", "to_number"):
        value, stored = facts[field], getattr(call, field)
        if not value or value == stored:
            continue
        if stored:
            errors[field] = [f"This call was recorded with {stored}; it cannot change."]
        else:
            setattr(call, field, value)
            changed.add(field)
    if errors:
        raise ValidationError(errors)
    return changed


_REPORTED_FIELDS: Final = (
    "answered_at",
    "ended_at",
    "duration_seconds",
    "disposition",
    "answered_by",
    "recording_url",
    "notes",
)


def _progress_update(call: Call, facts: _Facts) -> set[str]:
    """Apply what a report says about the call's course; returns the fields it changed."""
    changed: set[str] = set()
    status = facts["status"]
    if status is not None and Call.STATUS_RANK[status] > Call.STATUS_RANK[call.status]:
        call.status = status
        changed.add("status")
    started_at = facts["started_at"]
    if started_at is not None and started_at < call.started_at:
        call.started_at = started_at
        changed.add("started_at")
    for field in _REPORTED_FIELDS:
        value = facts[field]
        if value is not None and value != getattr(call, field):
            setattr(call, field, value)
            changed.add(field)
    agent = facts["agent"]
    if agent is not None and agent.pk != call.agent_id:
        call.agent = agent
        changed.add("agent")
    return changed


def _settle(call: Call) -> set[str]:
    """Derive what one report implies about the others; returns the fields it changed."""
    changed: set[str] = set()
    if (
        call.answered_at is None
        and call.status == Call.Status.COMPLETED
        and call.ended_at is not None
        and call.duration_seconds is not None
    ):
        call.answered_at = call.ended_at - timedelta(seconds=call.duration_seconds)
        changed.add("answered_at")
    if (
        call.duration_seconds is None
        and call.is_final
        and call.answered_at is not None
        and call.ended_at is not None
    ):
        call.duration_seconds = max(0, int((call.ended_at - call.answered_at).total_seconds()))
        changed.add("duration_seconds")
    if call.answered_at is not None and call.answered_at < call.started_at:
        call.started_at = call.answered_at
        changed.add("started_at")
    if (
        call.direction == Call.Direction.OUTBOUND
        and not call.disposition
        and call.answered_by.startswith(_MACHINE_ANSWERS)
    ):
        call.disposition = Call.Disposition.VOICEMAIL
        changed.add("disposition")
    return changed


def _interaction_refresh(interaction: Interaction, call: Call) -> None:
    """Bring the call's interaction (summary text, metadata) in line with the call."""
    body, metadata = _summary(call), _metadata(call)
    updates: dict[str, Any] = {}
    if interaction.body_text != body:
        updates["body_text"] = body
    if interaction.metadata != metadata:
        updates["metadata"] = metadata
    if updates:
        Interaction.objects.filter(pk=interaction.pk).update(**updates)
        for field, value in updates.items():
            setattr(interaction, field, value)
        case_events.announce(interaction.case_id, interaction_updated=interaction)


def _register_response(call: Call) -> None:
    """An answered call with an agent is that agent's response on the case, once."""
    if call.agent_id is None or not call.was_answered or call.interaction_id is None:
        return
    interaction = call.interaction
    assert interaction is not None  # interaction_id was checked above: the call has one
    if interaction.direction == Interaction.Direction.OUTBOUND and interaction.author_agent_id:
        return  # placed by an agent: it was their reply when it was recorded
    response_id = f"{call.sid}{RESPONSE_SUFFIX}"
    if Interaction.objects.filter(channel=PHONE, external_id=response_id).exists():
        return
    if Case.objects.filter(pk=call.case_id, status=Case.Status.CLOSED).exists():
        return  # a closed case takes no reply; the call itself is on it
    agent = call.agent
    assert agent is not None  # agent_id was checked above: the call has one
    name = agent.get_full_name() or agent.get_username()
    case_services.case_reply(
        case_id=call.case_id,
        agent=agent,
        channel=PHONE,
        body_text=f"Answered by {name}: {_summary_head(call)}",
        metadata={"call_sid": call.sid, "event": "answered"},
        external_id=response_id,
        occurred_at=call.answered_at or call.started_at,
    )


def _summary_head(call: Call) -> str:
    number = display_number(call.customer_number)
    if call.direction == Call.Direction.INBOUND:
        return f"inbound call from {number}"
    return f"outbound call to {number}"


def _summary(call: Call) -> str:
    """The interaction's text: what an agent reads on the case's timeline."""
    head = _summary_head(call)
    parts = [head[:1].upper() + head[1:], call.get_status_display().lower()]
    if call.duration_seconds:
        parts.append(format_duration(call.duration_seconds))
    if call.disposition:
        parts.append(call.get_disposition_display().lower())
    text = " · ".join(parts)
    if call.recording_url:
        text += f"\nRecording: {call.recording_url}"
    if call.notes:
        text += f"\n\n{call.notes}"
    return text


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _metadata(call: Call) -> dict[str, Any]:
    return {
        "call_sid": call.sid,
        "provider": call.provider,
        "direction": call.direction,
        "from": call.from_number,
        "to": call.to_number,
        "status": call.status,
        "started_at": _iso(call.started_at),
        "answered_at": _iso(call.answered_at),
        "ended_at": _iso(call.ended_at),
        "duration_seconds": call.duration_seconds,
        "disposition": call.disposition,
        "answered_by": call.answered_by,
        "recording_url": call.recording_url,
        "agent_id": call.agent_id,
    }
