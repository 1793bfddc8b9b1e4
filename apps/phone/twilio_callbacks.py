"""Twilio (and Twilio-compatible) voice status callbacks → services.call_record.

Setup: in the Twilio console, set the number's (or the TwiML app's) *Call status changes*
URL to ``https://<your host>/channels/phone/twilio/status/`` (HTTP POST), with the events
initiated, ringing, answered and completed; add ``?team=<team slug>`` to give the cases a
call opens to a team (the query string is part of the signed URL). For agents on Twilio
Client / Voice SDK, give each agent the client identity of their cxdesk username and set the
same URL as ``statusCallback`` of the ``<Client>`` noun: the leg that rings ``client:alex``
tells us that alex answered.

How a callback is read:

- ``CallSid`` is the call; ``CallStatus`` (initiated is stored as queued) only moves forward.
- ``Direction`` inbound / trunking-terminating → inbound; outbound-api, outbound-dial,
  trunking-originating → outbound. A ``client:<username>`` on one side is the agent (and the
  call goes from or to them); the other side is the customer and must be a phone number.
  A call from a withheld number (Anonymous, Restricted) is refused with 400 for now: the
  customer has no identity to file it under.
- ``Timestamp`` (RFC 2822, any offset below ±24:00, converted to UTC; else now) is the time
  of the event: the start of the call, its answer (in-progress) or its end (a final
  status). ``CallDuration``, ``RecordingUrl`` and ``AnsweredBy`` are stored as sent.
- A *child leg* (``ParentCallSid`` of a call we recorded: the ``<Dial>`` to an agent) adds
  nothing new: when it is answered by a ``client:<username>``, that agent becomes the parent
  call's agent and the leg's answer time its ``answered_at`` (a person answered, not the IVR).
  A child leg of a call we never heard of is recorded as a call of its own.

Signature: ``X-Twilio-Signature`` is checked with twilio's RequestValidator against
``request.build_absolute_uri()`` and every POST parameter, keyed with
``settings.TWILIO_AUTH_TOKEN`` (or a webhook SharedKey secret: the algorithm named in
``X-Twilio-Webhooks-Signature-Settings`` is used). **Behind a reverse proxy** the URL Django
builds must be the one Twilio called: terminate TLS with ``TRUST_X_FORWARDED_PROTO=true``
(SECURE_PROXY_SSL_HEADER), keep the ``Host`` header (or set USE_X_FORWARDED_HOST) and list the
public host in ALLOWED_HOSTS; otherwise every callback is refused with 403.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

from django.contrib.auth import get_user_model
from django.utils import timezone

from apps.accounts.models import Team
from apps.api.fields import is_http_uri
from apps.contacts.identities import InvalidIdentity, normalize_phone

from . import services
from .models import Call

PROVIDER = "twilio"
REQUIRED = ("CallSid", "CallStatus", "From", "To", "Direction")
MAX_DURATION = 7 * 24 * 3600
STATUSES = {"initiated": Call.Status.QUEUED, **{s: s for s in Call.Status.values}}
DIRECTIONS = {
    "inbound": Call.Direction.INBOUND,
    "trunking-terminating": Call.Direction.INBOUND,
    "outbound-api": Call.Direction.OUTBOUND,
    "outbound-dial": Call.Direction.OUTBOUND,
    "trunking-originating": Call.Direction.OUTBOUND,
}


class CallbackError(Exception):
    """The callback's parameters are missing or unreadable: `fields` names each one."""

    def __init__(self, fields: dict[str, list[str]]):
        self.fields = fields
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in fields.items()))


class CallbackIgnored(Exception):
    """A well-formed callback that records nothing (e.g. a call between two agents)."""


@dataclass(frozen=True)
class StatusCallback:
    sid: str
    parent_sid: str
    status: str
    direction: str
    from_number: str
    to_number: str
    agent_identity: str
    at: datetime
    duration_seconds: int | None
    recording_url: str | None
    answered_by: str | None


def _client_identity(value: str) -> str | None:
    return value[len("client:") :] if value.lower().startswith("client:") else None


def parse_status_callback(params) -> StatusCallback:
    """Read Twilio's form parameters; raises CallbackError naming every bad one."""
    get = {
        name: (params.get(name) or "").strip()
        for name in (
            *REQUIRED,
            "ParentCallSid",
            "Timestamp",
            "CallDuration",
            "RecordingUrl",
            "AnsweredBy",
        )
    }
    errors: dict[str, list[str]] = {
        name: ["This parameter is required."] for name in REQUIRED if not get[name]
    }

    sid, parent_sid = get["CallSid"], get["ParentCallSid"]
    for name in ("CallSid", "ParentCallSid"):
        if get[name] and not services.sid_is_valid(get[name]):
            errors[name] = ["1–64 letters, digits or . _ : -."]
    status = STATUSES.get(get["CallStatus"].lower())
    if get["CallStatus"] and status is None:
        errors["CallStatus"] = [f"Unknown call status {get['CallStatus']!r}."]
    direction = DIRECTIONS.get(get["Direction"].lower())
    if get["Direction"] and direction is None:
        errors["Direction"] = [f"Unknown direction {get['Direction']!r}."]

    from_agent, to_agent = _client_identity(get["From"]), _client_identity(get["To"])
    if from_agent is not None and to_agent is not None:
        raise CallbackIgnored("a call between two clients (agents) has no customer")
    if from_agent is not None:
        direction = Call.Direction.OUTBOUND
    elif to_agent is not None:
        direction = Call.Direction.INBOUND
    numbers = _numbers(get, direction=direction, errors=errors)
    at = _timestamp(get["Timestamp"], errors=errors)
    duration = _duration(get["CallDuration"], errors=errors)
    recording_url = get["RecordingUrl"] or None
    if recording_url and (len(recording_url) > 1000 or not is_http_uri(recording_url)):
        # The same rule as the calls API: a stored recording URL is always an RFC 3986 URI.
        errors["RecordingUrl"] = ["An http(s) URI (RFC 3986) of at most 1000 characters."]
    if errors:
        raise CallbackError(errors)
    return StatusCallback(
        sid=sid,
        parent_sid=parent_sid,
        status=status,
        direction=direction,
        from_number=numbers["From"],
        to_number=numbers["To"],
        agent_identity=from_agent or to_agent or "",
        at=at,
        duration_seconds=duration,
        recording_url=recording_url,
        answered_by=get["AnsweredBy"][:32] or None,
    )


def _numbers(get: dict[str, str], *, direction: str | None, errors: dict) -> dict[str, str]:
    """From and To in E.164 ("" for an agent's client: or a missing number); only the
    customer's side must be a phone number (an error in `errors` otherwise)."""
    numbers = {}
    for param in ("From", "To"):
        value = get[param]
        if not value or _client_identity(value) is not None:
            numbers[param] = ""
            continue
        try:
            numbers[param] = normalize_phone(value)
        except InvalidIdentity as exc:
            numbers[param] = ""
            customer_side = "From" if direction == Call.Direction.INBOUND else "To"
            if param == customer_side:
                errors[param] = [f"{value!r} is not a customer's phone number: {exc.reason}."]
    return numbers


def _timestamp(value: str, *, errors: dict) -> datetime:
    """The callback's Timestamp in UTC (now when it has none); an error in `errors` if bad."""
    if not value:
        return timezone.now()
    try:
        at = parsedate_to_datetime(value)
        # Stored in UTC: RFC 2822 allows offsets up to ±99:59 and PostgreSQL refuses a
        # timestamptz literal beyond ±15:59; ±24:00 and more fail in parsing (ValueError),
        # and a time whose UTC lies past year 9999 in the conversion (OverflowError).
        at = at.replace(tzinfo=UTC) if timezone.is_naive(at) else at.astimezone(UTC)
    except (TypeError, ValueError, IndexError, OverflowError):
        errors["Timestamp"] = ["An RFC 2822 date, e.g. 'Mon, 16 Aug 2010 03:45:01 +0000'."]
        return timezone.now()
    if not services.EARLIEST <= at <= services.LATEST:
        errors["Timestamp"] = ["Not a plausible time for a call."]
    return at


def _duration(value: str, *, errors: dict) -> int | None:
    if not value:
        return None
    if value.isdigit() and int(value) <= MAX_DURATION:
        return int(value)
    errors["CallDuration"] = [f"Whole seconds, 0 to {MAX_DURATION}."]
    return None


def _agent(identity: str):
    if not identity:
        return None
    return get_user_model().objects.filter(username=identity, is_active=True).first()


def status_callback_apply(
    callback: StatusCallback, *, team: Team | None = None
) -> tuple[Call, bool]:
    """Record what one status callback says. Returns (call, created)."""
    agent = _agent(callback.agent_identity)
    if callback.parent_sid and Call.objects.filter(sid=callback.parent_sid).exists():
        return _child_leg_apply(callback, agent=agent), False
    final = callback.status in Call.FINAL_STATUSES
    return services.call_record(
        sid=callback.sid,
        provider=PROVIDER,
        direction=callback.direction,
        from_number=callback.from_number,
        to_number=callback.to_number,
        status=callback.status,
        started_at=callback.at,
        answered_at=callback.at if callback.status == Call.Status.IN_PROGRESS else None,
        ended_at=callback.at if final else None,
        duration_seconds=callback.duration_seconds,
        recording_url=callback.recording_url,
        answered_by=callback.answered_by,
        agent=agent,
        team=team,
    )


def _child_leg_apply(callback: StatusCallback, *, agent) -> Call:
    """The leg that connected a recorded call to someone: it may name the agent who answered."""
    parent = Call.objects.get(sid=callback.parent_sid)
    answered_at = None
    if callback.status == Call.Status.IN_PROGRESS:
        answered_at = callback.at
    elif (
        callback.status == Call.Status.COMPLETED
        and callback.duration_seconds is not None
        and parent.agent_id is None
    ):  # we missed the leg's in-progress callback
        answered_at = callback.at - timedelta(seconds=callback.duration_seconds)
    if agent is None or answered_at is None:
        return parent  # ringing an agent, or a leg to a plain number: nothing to add
    call, _ = services.call_record(sid=parent.sid, agent=agent, answered_at=answered_at)
    return call
