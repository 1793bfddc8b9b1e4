"""Outbound webhooks: subscriptions, emitting events, and sending signed deliveries.

How an event reaches an integration
-----------------------------------
1. A case write announces the change (apps/cases/events.py) inside its transaction; the
   webhooks' subscriber (case_events.py) calls `event_emit` / `events_emit` there.
   One `WebhookDelivery` row (status *pending*) is written per active subscription that wants
   the event and whose owner may see the case, in the same transaction as the case change.
2. After commit, `tasks.deliver(delivery_id)` is enqueued for each. If the broker is down the
   error is logged and swallowed: the case write stands, and the sweep
   (`tasks.retry_due_deliveries`, every CXDESK_WEBHOOK_SWEEP_SECONDS) sends the rows later.
3. `delivery_attempt` claims the row (pending → sending, one conditional UPDATE, so a task run
   twice sends once), POSTs it, and records the outcome: *delivered* on any 2xx; otherwise back
   to *pending* with an exponential backoff (30 s, 1 min, 2 min … capped at 6 h, plus up to 10 %
   jitter), or *failed* after MAX_ATTEMPTS tries. A worker lost mid-send leaves a *sending* row
   whose claim the sweep releases after 5 minutes (counted as an attempt).

What the receiver gets
----------------------
``POST <subscription url>`` with a compact JSON body (sorted keys, UTF-8)::

    {"created_at": "2025-01-31T09:30:00.123456+00:00", "data": {...},
     "event": "case.created", "id": "<event id (uuid)>"}

and the headers

- ``Content-Type: application/json``, ``User-Agent: cxdesk-webhooks/1``
- ``Cxdesk-Event``: the event name; ``Cxdesk-Event-Id``: the event id, the same in every
  delivery and retry of one event — de-duplicate with it (delivery is at least once);
- ``Cxdesk-Delivery``: the delivery id (one per event and subscription, the same on retries);
- ``Cxdesk-Signature: t=<unix seconds>,v1=<hex>``.

What ``data`` holds (apps/webhooks/payloads.py builds it)
---------------------------------------------------------
- ``case.created``: ``{"case": <case>, "tags": [tag names]}``;
- ``case.updated``: ``{"case": <case>, "changed": [field names]}``, plus ``"tags"`` (the new
  list) when the tags changed and ``"merged_from"`` (a case id) on the case a merge kept;
- ``interaction.created``: ``{"interaction": <interaction>, "case": <case>}``;
- ``sla.breached`` / ``sla.warning``: ``{"case": <case>, "clock": <clock>}``;
- ``rootcause.spike`` (apps/rootcauses: a root cause's volume far above its baseline, sent
  once per spike, when it is first found; about no case, so every subscriber of the event
  gets it): ``{"spike": {"id", "root_cause_id", "path", "owner_team_id", "state",
  "first_day", "last_day", "observed", "expected", "p_value", "first_seen_at", "api_url"}}``
  — ``observed`` cases of the root cause on ``last_day`` (so far, when it is today) where
  ``expected`` were expected from the 28 days before; ``api_url`` lists the spikes.

``<case>``: id, reference, subject, status, priority, channel, requester_id, team_id,
assignee_id, root_cause_id, custom_fields, created_at, updated_at, first_response_at, solved_at,
closed_at, reopen_count, merged_into_id, follow_up_of_id. Related rows are ids: read them
with the REST API (``GET /api/v1/cases/{id}/`` …).

``<interaction>``: id, case_id, channel, direction (``in``/``out``), is_public,
author_contact_id, author_agent_id, subject, body_text, body_truncated, api_url,
external_id, occurred_at, created_at. The body is bounded so that a huge email does not
become a huge request per subscription: ``body_text`` is at most CXDESK_WEBHOOK_BODY_MAX_BYTES
(64 KiB by default) of the JSON body — the longest prefix of the text that fits, cut between
characters — and ``body_truncated`` says whether it was cut. ``body_html`` is not sent.
``api_url`` (a path on this server, e.g. ``/api/v1/cases/12/interactions/``) lists the
case's interactions, oldest first, with their whole ``body_text`` and ``body_html``: find the
one with this ``id`` (``?page_size=200``, then follow ``next``), with a token whose owner may
see the case and that has ``cases:read``.

Only cases the subscription's owner may see are announced to it (the owner's teams and
assignments; an admin's subscription sees all).

Where deliveries go
-------------------
The URL must be http(s) and its host public (apps/webhooks/targets.py): a name is resolved
once per attempt, refused unless every address is a public one (loopback, private, link-local,
CGNAT, multicast, reserved and documentation ranges, and IPv6 forms carrying such an IPv4
address, are not), and the connection goes to a checked address, never to a later DNS answer.
The Host header and TLS (SNI, certificate verification) use the name; certificates are
checked against certifi's roots, or SSL_CERT_FILE / SSL_CERT_DIR. No proxy from the
environment is used. A refused target is not contacted, and its delivery log says only that.
CXDESK_WEBHOOK_ALLOW_PRIVATE_TARGETS=true lifts the address rule for on-premises receivers.

Verifying the signature
-----------------------
``v1`` is the lowercase hex HMAC-SHA256, keyed with the subscription secret (the whole string,
``whsec_`` included, as UTF-8), of the timestamp, a dot, and the raw request body exactly as
received (do not re-serialise the JSON)::

    expected = hmac.new(secret.encode(), f"{t}.".encode() + raw_body, hashlib.sha256).hexdigest()

Compare in constant time (`hmac.compare_digest`) with each ``v1`` of the header, and reject a
timestamp more than a few minutes from your clock (replays). Each attempt is signed anew, so a
retry carries a fresh timestamp. Answer 2xx within 10 seconds, and do slow work afterwards;
redirects are not followed. `signature_verify` below is a reference implementation.
"""

import hashlib
import hmac
import json
import logging
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any
from urllib.parse import urlsplit

import httpx
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from apps.accounts.types import User
from apps.cases.models import Case
from apps.core.outbox import Backoff, Outbox
from apps.core.queue import enqueue_each

from . import targets
from .models import EVENT_TYPES, WebhookDelivery, WebhookSubscription, generate_secret

logger = logging.getLogger(__name__)

Status = WebhookDelivery.Status

CaseRef = Case | int  # a case, or only its id (a bulk writer's)
# Whether a subscription's owner may see a case (None: an event about no case, seen by all).
Sees = Callable[[WebhookSubscription, CaseRef | None], bool]

MAX_ATTEMPTS = 8
BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_CAP = timedelta(hours=6)
BACKOFF_JITTER = 0.1  # up to +10 %, so deliveries that failed together do not retry together
CONNECT_TIMEOUT = 5.0  # seconds
TOTAL_TIMEOUT = 10.0  # seconds for the whole exchange (httpx applies it per read/write too)
STALE_CLAIM_AFTER = timedelta(minutes=5)  # far longer than one attempt can take
SIGNATURE_TOLERANCE = 300  # seconds
RESPONSE_EXCERPT_CHARS = 500
ERROR_CHARS = 1000
USER_AGENT = "cxdesk-webhooks/1"
_url_max_length = WebhookSubscription._meta.get_field("url").max_length
assert _url_max_length is not None  # the model's URLField always declares one (200)
URL_MAX_LENGTH: int = _url_max_length


# --- Subscriptions ------------------------------------------------------------------------


def _clean_url(url: str) -> tuple[str, list[str]]:
    url = (url or "").strip()
    try:
        parts = urlsplit(url)
    except ValueError:  # e.g. an unbalanced [ in the host
        return url, ["Enter a valid URL."]
    if parts.scheme.lower() not in ("http", "https"):
        return url, ["Enter an http:// or https:// URL."]
    if not parts.hostname:
        return url, ["The URL has no host."]
    if targets.host_refused(parts.hostname):
        return url, ["Webhook URLs may not point at loopback or private network addresses."]
    if len(url) > URL_MAX_LENGTH:
        return url, [f"The URL is longer than {URL_MAX_LENGTH} characters."]
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError as exc:
        return url, list(exc.messages)
    return url, []


def _clean_events(events: Iterable[str] | None) -> tuple[list[str], list[str]]:
    if isinstance(events, str) or events is None:
        return [], ["Give a list of event names."]
    cleaned = list(dict.fromkeys(str(e).strip() for e in events))  # de-duplicated, in order
    unknown = [e for e in cleaned if e not in EVENT_TYPES]
    if unknown:
        return cleaned, [f"Unknown event {e!r} (one of {', '.join(EVENT_TYPES)})." for e in unknown]
    if not cleaned:
        return cleaned, ["Choose at least one event."]
    return cleaned, []


def subscription_validate(*, url: str, events: Iterable[str]) -> tuple[str, list[str]]:
    """The cleaned url and events, or ValidationError({"url": [...], "events": [...]})."""
    url, url_errors = _clean_url(url)
    events, event_errors = _clean_events(events)
    errors = {k: v for k, v in (("url", url_errors), ("events", event_errors)) if v}
    if errors:
        raise ValidationError(errors)
    return url, events


def subscription_create(
    *, owner: User, url: str, events: Iterable[str], name: str = "", is_active: bool = True
) -> WebhookSubscription:
    """A new subscription with a fresh secret. `owner`'s case visibility is its scope."""
    url, events = subscription_validate(url=url, events=events)
    return WebhookSubscription.objects.create(
        owner=owner, url=url, events=events, name=(name or "").strip()[:100], is_active=is_active
    )


@transaction.atomic
def subscription_update(
    *,
    subscription_id: int,
    url: str | None = None,
    events: Iterable[str] | None = None,
    name: str | None = None,
    is_active: bool | None = None,
) -> WebhookSubscription:
    """Change the given fields (None leaves a field as it is). Pending retries use the new URL."""
    subscription = WebhookSubscription.objects.select_for_update().get(pk=subscription_id)
    url, events = subscription_validate(
        url=subscription.url if url is None else url,
        events=subscription.events if events is None else events,
    )
    subscription.url, subscription.events = url, events
    if name is not None:
        subscription.name = name.strip()[:100]
    if is_active is not None:
        subscription.is_active = is_active
    subscription.save()
    return subscription


def subscription_rotate_secret(*, subscription_id: int) -> WebhookSubscription:
    """A new secret; every attempt from now on (retries included) is signed with it."""
    subscription = WebhookSubscription.objects.get(pk=subscription_id)
    subscription.secret = generate_secret()
    subscription.save(update_fields=["secret", "updated_at"])
    return subscription


def subscription_deactivate(*, subscription_id: int) -> WebhookSubscription:
    """Stop sending: no new deliveries, and pending ones fail at their next try. Keeps the log."""
    subscription = WebhookSubscription.objects.get(pk=subscription_id)
    subscription.is_active = False
    subscription.save(update_fields=["is_active", "updated_at"])
    return subscription


# --- Emitting events ----------------------------------------------------------------------


def _json_safe(data: Mapping[str, Any]) -> dict[str, Any]:
    """Datetimes, dates, UUIDs and Decimals as DjangoJSONEncoder writes them."""
    safe: dict[str, Any] = json.loads(json.dumps(data, cls=DjangoJSONEncoder))
    return safe


ANY_ACTIVE_CACHE_KEY = "cxdesk:webhooks:any-active"
ANY_ACTIVE_CACHE_SECONDS = 10


def any_active_subscription() -> bool:
    """Whether any subscription is active: cached, so case writes cost no query when nobody
    subscribes. Saving or deleting a subscription clears it (signals.py); another process on
    a per-process cache sees a change within ANY_ACTIVE_CACHE_SECONDS (at once with Redis)."""
    from django.core.cache import cache

    cached: bool | None = cache.get(ANY_ACTIVE_CACHE_KEY)
    if cached is None:
        cached = WebhookSubscription.objects.filter(is_active=True).exists()
        cache.set(ANY_ACTIVE_CACHE_KEY, cached, ANY_ACTIVE_CACHE_SECONDS)
    return cached


def _subscribers(events: Iterable[str]) -> list[WebhookSubscription]:
    """Active subscriptions to any of `events` of active owners, owner loaded (1 query).

    Few rows (one per integration); filtering the events in Python keeps this portable
    (JSONField `contains` is not supported on SQLite).
    """
    events = set(events)
    unknown = sorted(events - set(EVENT_TYPES))
    if unknown:
        raise ValueError(f"unknown webhook event {unknown[0]!r} (one of {', '.join(EVENT_TYPES)})")
    if not any_active_subscription():
        return []
    return [
        s
        for s in WebhookSubscription.objects.filter(is_active=True, owner__is_active=True)
        .select_related("owner", "owner__profile")
        .order_by("pk")
        if any(s.wants(event) for event in events)
    ]


def _visibility(
    subscriptions: list[WebhookSubscription], cases: Sequence[CaseRef]
) -> tuple[Sees, dict[int, Case]]:
    """Who may see which case, and the cases: (sees, cases by id), in ≤ 1 query.

    `sees(subscription, case)` (a case, its id, or None: everyone) says whether the owner
    may see it by `Case.objects.visible_to(owner)`, the one rule of who sees a case: an
    EXISTS per owner (a few subscriptions) over the batch's cases, in one query. The same
    query reads the cases given only by id (`cases` maps every id to its instance).
    """
    given = {c.pk: c for c in cases if isinstance(c, Case)}
    case_ids = sorted({c for c in cases if isinstance(c, int)} | set(given))
    owners = {s.owner_id: s.owner for s in subscriptions}
    seen: set[tuple[int, int]] = set()
    loaded = dict(given)
    if case_ids and owners:
        flags = {
            f"seen_by_{owner_id}": Exists(Case.objects.visible_to(owner).filter(pk=OuterRef("pk")))
            for owner_id, owner in owners.items()
        }
        rows = Case.objects.filter(pk__in=case_ids).annotate(**flags)
        if set(case_ids) == set(given):
            rows = rows.only("pk")  # the instances are given: only the flags are read
        for row in rows:
            loaded.setdefault(row.pk, row)
            seen |= {
                (owner_id, row.pk) for owner_id in owners if getattr(row, f"seen_by_{owner_id}")
            }

    def sees(subscription: WebhookSubscription, case: CaseRef | None) -> bool:
        case_id = case.pk if isinstance(case, Case) else case
        return case_id is None or (subscription.owner_id, case_id) in seen

    return sees, loaded


def event_emit(*, event: str, data: dict[str, Any], case: CaseRef | None = None) -> int:
    """Record one pending delivery of `event` per subscriber allowed to see it; send on commit.

    Call it inside the transaction of the change it announces: the deliveries commit or roll
    back with it. `case` scopes the event to the subscriptions whose owner may see that case;
    without one, every subscriber of the event gets it. Costs one query when nobody subscribes,
    at most three otherwise, whatever the number of subscriptions. Returns the number created.
    """
    return events_emit(event=event, items=[(data, case)])


def events_emit(*, event: str, items: Iterable[tuple[dict[str, Any], CaseRef | None]]) -> int:
    """`event_emit` for many events of one type at once: ≤ 3 queries for the whole batch.

    `items` holds one (data, case) pair per event, e.g. per case a sweep changed; each is an
    event of its own (its own event id). Returns the number of deliveries created.
    """
    subscriptions = _subscribers([event])
    if not subscriptions:
        return 0
    items = list(items)
    sees, _ = _visibility(subscriptions, [case for _, case in items if case is not None])
    return _deliveries_record(subscriptions, sees, [(event, data, case) for data, case in items])


def case_events_emit(
    *, entries: Iterable[tuple[str, Callable[[Case], dict[str, Any]], CaseRef]]
) -> int:
    """Events about cases, of several types at once: ≤ 3 queries for the whole batch.

    Each entry is (event, the event's data as a function of the case, the case or only its
    id); the cases given by id are read with the visibility check, and only when someone
    subscribes. The webhooks' subscriber to the case-changed seam calls it (case_events.py).
    """
    entries = list(entries)
    subscriptions = _subscribers({event for event, _, _ in entries})
    if not subscriptions:
        return 0
    sees, cases = _visibility(subscriptions, [case for _, _, case in entries])
    resolved = [cases[case if isinstance(case, int) else case.pk] for _, _, case in entries]
    return _deliveries_record(
        subscriptions,
        sees,
        [
            (event, data(case), case)
            for (event, data, _), case in zip(entries, resolved, strict=True)
        ],
    )


def _deliveries_record(
    subscriptions: list[WebhookSubscription],
    sees: Sees,
    entries: list[tuple[str, dict[str, Any], CaseRef | None]],
) -> int:
    """One pending delivery per (event, subscriber that wants it and may see its case), sent
    after commit (1 query). Returns the number created."""
    now = timezone.now()
    deliveries = []
    for event, data, case in entries:
        recipients = [s for s in subscriptions if s.wants(event) and sees(s, case)]
        if not recipients:
            continue
        event_id = uuid.uuid4()
        payload = {
            "id": str(event_id),
            "event": event,
            "created_at": now.isoformat(),
            "data": _json_safe(data),
        }
        deliveries += [
            WebhookDelivery(
                subscription=s,
                event=event,
                event_id=event_id,
                payload=payload,
                next_attempt_at=now,
                created_at=now,
            )
            for s in recipients
        ]
    if not deliveries:
        return 0
    deliveries = WebhookDelivery.objects.bulk_create(deliveries)
    transaction.on_commit(partial(deliveries_enqueue, delivery_ids=[d.pk for d in deliveries]))
    return len(deliveries)


def deliveries_enqueue(*, delivery_ids: Iterable[int]) -> int:
    """Queue a `deliver` task per id; never raises. Returns how many were queued.

    The rows are the truth and the sweep sends whatever is still pending, so a broker that is
    down costs a delay, not a delivery (`enqueue_each` stops at the first refusal).
    """
    return enqueue_each("apps.webhooks.tasks.deliver", delivery_ids)


# --- Signing ------------------------------------------------------------------------------


def _signature(secret: str, timestamp: int, body: bytes) -> str:
    message = f"{timestamp}.".encode() + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signature_header(*, secret: str, timestamp: int, body: bytes) -> str:
    """The Cxdesk-Signature header value: ``t=<unix seconds>,v1=<hex hmac-sha256>``."""
    return f"t={timestamp},v1={_signature(secret, timestamp, body)}"


def signature_verify(
    *,
    secret: str,
    header: str,
    body: bytes,
    tolerance: int = SIGNATURE_TOLERANCE,
    now: float | None = None,
) -> bool:
    """True when `header` signs `body` with `secret` and its timestamp is within `tolerance`.

    The reference check for receivers (see the module docstring). Several v1 values are
    accepted, any one of which may match.
    """
    timestamp, candidates = None, []
    for part in (header or "").split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isascii() and value.isdigit():
            timestamp = int(value)
        elif key == "v1" and value:
            candidates.append(value)
    if timestamp is None or not candidates:
        return False
    now = time.time() if now is None else now
    if abs(now - timestamp) > tolerance:
        return False
    expected = _signature(secret, timestamp, body)
    return any(hmac.compare_digest(expected.encode(), c.lower().encode()) for c in candidates)


def payload_body(payload: Mapping[str, Any]) -> bytes:
    """The exact bytes sent (and signed): compact JSON, sorted keys, UTF-8."""
    return json.dumps(payload, separators=(",", ":"), sort_keys=True, ensure_ascii=False).encode()


# --- Sending ------------------------------------------------------------------------------

# The deliveries' outbox (apps/core/outbox.py): claim, still-ours guard, backoff, cap, sweep.
DELIVERIES = Outbox(
    model=WebhookDelivery,
    ready=Status.PENDING,
    claimed=Status.SENDING,
    done=Status.DELIVERED,
    failed=Status.FAILED,
    max_attempts=MAX_ATTEMPTS,
    lease=STALE_CLAIM_AFTER,
    error_field="last_error",
    backoff=Backoff(base=BACKOFF_BASE, cap=BACKOFF_CAP, jitter=BACKOFF_JITTER),
    error_chars=ERROR_CHARS,
    lost_error="the worker sending this delivery was lost; claim released",
    gave_up_error=f"the worker sending this delivery was lost, {MAX_ATTEMPTS} times; given up",
)


@dataclass(frozen=True)
class _Outcome:
    status_code: int | None
    excerpt: str = ""
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def _read_excerpt(response: httpx.Response, deadline: float) -> str:
    """The start of the body, reading no more than we keep and stopping at the deadline."""
    limit = RESPONSE_EXCERPT_CHARS * 4  # bytes: enough for that many UTF-8 characters
    received = b""
    try:
        for chunk in response.iter_raw():  # raw: we asked for no compression (no gzip bomb)
            received += chunk
            if len(received) >= limit or time.monotonic() > deadline:
                break
    except httpx.HTTPError:
        pass  # the status code is what counts; the excerpt is a courtesy
    return received[:limit].decode("utf-8", errors="replace")[:RESPONSE_EXCERPT_CHARS]


def _post(url: str, body: bytes, headers: dict[str, str]) -> _Outcome:
    """POST to an address of the URL's host that passed the check, and to no other.

    The name is resolved once (targets.resolve refuses it unless every address is public);
    the addresses are tried in the resolver's order until one can be reached, each through a
    transport pinned to it, so no later lookup can send the request elsewhere.
    """
    try:
        target = httpx.URL(url)
        host = target.raw_host.decode("ascii")
    except (httpx.InvalidURL, UnicodeError) as exc:
        return _Outcome(None, error=f"the URL cannot be sent to: {exc}")
    port = target.port or (443 if target.scheme == "https" else 80)
    try:
        addresses = targets.resolve(host, port)
    except targets.TargetRefused as exc:
        return _Outcome(None, error=str(exc))
    deadline = time.monotonic() + TOTAL_TIMEOUT
    for index, address in enumerate(addresses):
        try:
            return _post_to(address, host, target, body, headers, deadline)
        except httpx.ConnectError as exc:  # nothing was sent: the next address may answer
            if index + 1 == len(addresses) or time.monotonic() >= deadline:
                return _connection_failed(url, exc)
    raise AssertionError("targets.resolve returns at least one address")


def _post_to(
    address: str,
    host: str,
    target: httpx.URL,
    body: bytes,
    headers: dict[str, str],
    deadline: float,
) -> _Outcome:
    """One POST through a connection to `address`; raises httpx.ConnectError when that address
    cannot be reached (connection or TLS handshake failed, nothing sent)."""
    timeout = httpx.Timeout(max(deadline - time.monotonic(), 0.1), connect=CONNECT_TIMEOUT)
    transport = targets.PinnedTransport(host=host, address=address)
    try:
        with (
            httpx.Client(
                transport=transport, timeout=timeout, follow_redirects=False, trust_env=False
            ) as client,
            client.stream("POST", target, content=body, headers=headers) as response,
        ):
            excerpt = _read_excerpt(response, deadline)
    except httpx.ConnectError:
        raise
    except Exception as exc:  # a timeout, the connection dropped, a protocol error …
        return _connection_failed(str(target), exc)
    if 200 <= response.status_code < 300:
        return _Outcome(response.status_code, excerpt=excerpt)
    return _Outcome(
        response.status_code,
        excerpt=excerpt,
        error=f"HTTP {response.status_code} {response.reason_phrase}".strip(),
    )


def _connection_failed(url: str, exc: Exception) -> _Outcome:
    if isinstance(exc, httpx.TimeoutException):
        return _Outcome(None, error=f"timeout: {type(exc).__name__} {exc}".strip())
    logger.info("webhook POST to %s failed", url, exc_info=True)
    return _Outcome(None, error=f"{type(exc).__name__}: {exc}")


def _headers(delivery: WebhookDelivery, body: bytes, timestamp: int) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "Accept-Encoding": "identity",
        "Cxdesk-Event": delivery.event,
        "Cxdesk-Event-Id": str(delivery.event_id),
        "Cxdesk-Delivery": str(delivery.pk),
        "Cxdesk-Signature": signature_header(
            secret=delivery.subscription.secret, timestamp=timestamp, body=body
        ),
    }


def delivery_attempt(*, delivery_id: int, now: datetime | None = None) -> datetime | None:
    """Try to send one delivery if it is pending and due. Safe to call twice, or from two workers.

    Returns when the next try is due if this one failed and will be retried, else None
    (delivered, failed for good, or nothing to do: sent already, not due, or another worker
    has it). Never raises for anything the receiver does.
    """
    now = now or timezone.now()
    claim = DELIVERIES.claim(
        delivery_id, now=now, queryset=WebhookDelivery.objects.select_related("subscription")
    )
    if claim is None:
        return None  # delivered, failed, not due yet, or another worker has it
    delivery: WebhookDelivery = claim.row
    if not delivery.subscription.is_active:
        DELIVERIES.fail(claim, "the subscription is inactive")
        return None

    body = payload_body(delivery.payload)
    started = time.monotonic()
    outcome = _post(delivery.subscription.url, body, _headers(delivery, body, int(now.timestamp())))
    finished = now + timedelta(seconds=time.monotonic() - started)  # backoff counts from here
    result = {"last_status_code": outcome.status_code, "response_excerpt": outcome.excerpt}
    if outcome.ok:
        DELIVERIES.succeed(claim, delivered_at=finished, **result)
        return None
    if DELIVERIES.gives_up_after(claim):
        logger.warning("webhook delivery %s failed for good: %s", delivery_id, outcome.error)
    return DELIVERIES.retry(claim, outcome.error, now=finished, **result)


# --- The sweep and the admin ----------------------------------------------------------------


def deliveries_sweep(*, limit: int, now: datetime | None = None) -> int:
    """Release lost claims (an attempt each), then queue at most `limit` due deliveries."""
    DELIVERIES.release_stale(now=now)
    return deliveries_enqueue(delivery_ids=DELIVERIES.due(limit=limit, now=now))


def deliveries_retry_now(*, delivery_ids: Iterable[int]) -> int:
    """Make pending or failed deliveries due now and queue them (after commit).

    A failed delivery gets one more try (its attempts are kept, so a new failure fails it
    again); a pending one simply skips the rest of its wait. Returns how many were reset.
    """
    ids = DELIVERIES.retry_now(delivery_ids, from_statuses=[Status.PENDING, Status.FAILED])
    if ids:
        transaction.on_commit(partial(deliveries_enqueue, delivery_ids=ids))
    return len(ids)
