"""Search for agents: one query box for references, subjects, message bodies and contacts.

`case_search(user=…, query=…)` reads what one query can mean, in this order:

- **a reference** — the whole query is `CX-000123`, `cx-123`, `cx123`, `CX 123` or `#123`:
  when the user may see that case, `SearchResults.jump_to` is it (the view redirects to the
  case page). A case the user may not see is never named: the query is searched as text,
  exactly as a reference that does not exist. A bare number (`123`) does not jump — it is
  as likely an order or a phone number — but the case with that id, when visible, heads
  the results (`reference_hit`).
- **a contact identity** — an email address (any case), a phone number in any written form
  (read by `apps.contacts.identities.normalize`, national numbers in
  `CXDESK_DEFAULT_PHONE_REGION`, WhatsApp ids included) or a social handle (`@ann` or
  `ann`, on Facebook, Instagram and X): exact lookups in the identities' unique index.
  Found contacts (`Contact.objects.visible_to`) are listed with their newest visible cases.
- **text** — the words in case subjects and message bodies (internal notes included: they
  are agent-visible; a snippet from a note says so). On PostgreSQL: full-text search,
  `websearch_to_tsquery('simple', …)` (quotes for phrases, `-word`, `or`; no input can
  break its parser) against GIN indexes over `to_tsvector('simple', …)` (migration 0007).
  The `simple` configuration lower-cases words and neither stems nor drops stop-words: a
  contact center's text is in many languages and full of order numbers, codes and names,
  where English stemming misleads; the price is that `refund` does not find `refunded`.
  Bodies are indexed on their first BODY_INDEXED_CHARS characters (a tsvector holds at
  most 1 MB). On SQLite: every word must occur, case-insensitively (`LIKE`), in the
  subject or in one message.

Every case comes from `selectors.case_list_for(user)` — the one rule of who sees what.
Matching cases are ordered by latest activity (`-updated_at, -id`, the case list's index),
not by rank: ranking would score every match before the first row, the cost search must
not have over a million cases. Pages are keyset (`after`, a `Cursor`), PAGE_SIZE rows, and
counts are capped: `has_more` says "50+" without a COUNT over history. A page costs a fixed
number of queries whatever it holds.
"""

import re
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchVector
from django.db import OperationalError, connection, transaction
from django.db.models import F, Prefetch, Q, QuerySet, Value, Window
from django.db.models.functions import Left, Replace, RowNumber
from psycopg.errors import QueryCanceled

from apps.accounts.types import User
from apps.contacts.identities import Identity, InvalidIdentity, normalize
from apps.contacts.models import Contact, ContactIdentity
from apps.core.errors import DomainError
from apps.core.ids import MAX_DB_ID

from .models import Case, Interaction
from .selectors import case_list_for

SEARCH_CONFIG = "simple"  # the text-search configuration of the GIN indexes (migration 0007)
BODY_INDEXED_CHARS = 100_000  # the indexed head of a message body (migration 0007)
MIN_QUERY_CHARS = 2
MAX_QUERY_CHARS = 200
PAGE_SIZE = 50
CONTACT_CASES_SHOWN = 10
MAX_CONTACTS = 10
MAX_TERMS = 8  # words of a query matched on SQLite, and highlighted there
SNIPPET_CONTEXT_CHARS = 80
SEARCH_TIMEOUT_MS = 3000  # PostgreSQL: the text queries' budget (see text_search_plan)

# ts_headline marks its hits with these; they are taken out before the text is escaped.
_HIT_START, _HIT_END = "\x01", "\x02"
_controls_re = re.compile(r"[\x00-\x1f\x7f-\x9f]+")
_space_re = re.compile(r"\s+")
_reference_re = re.compile(r"^(?:cx[-\s]?|#)0*(\d{1,12})$", re.IGNORECASE)
_number_re = re.compile(r"^\d{1,12}$")
_phone_re = re.compile(r"^\+?[\d\s().\-/]+$")
_handle_re = re.compile(r"^@?[\w.\-+]{1,100}$")
_term_re = re.compile(r"[^\s\"']+")
HANDLE_NETWORKS = (
    ContactIdentity.Network.FACEBOOK,
    ContactIdentity.Network.INSTAGRAM,
    ContactIdentity.Network.X,
)


def subject_vector() -> SearchVector:
    """The expression of `case_subject_fts_idx`: a query must use this one to use the index."""
    return SearchVector("subject", config=SEARCH_CONFIG)


def body_vector() -> SearchVector:
    """The expression of `interaction_body_fts_idx`."""
    return SearchVector(Left("body_text", BODY_INDEXED_CHARS), config=SEARCH_CONFIG)


def uses_full_text_search() -> bool:
    return bool(connection.vendor == "postgresql")


# --- reading the query ---------------------------------------------------------------------


@dataclass(frozen=True)
class Query:
    """What a typed query can mean. `text` is the cleaned query: control characters (NUL
    included, which PostgreSQL refuses in text) become spaces, runs of space one, and it is
    cut to MAX_QUERY_CHARS (`truncated`)."""

    text: str
    truncated: bool = False
    reference_id: int | None = None  # the whole query is a reference: jump when visible
    case_number: int | None = None  # a bare number: the case with that id, when visible
    identities: tuple[Identity, ...] = ()
    terms: tuple[str, ...] = ()

    @property
    def too_short(self) -> bool:
        return len(self.text) < MIN_QUERY_CHARS


def _identities_in(text: str) -> tuple[Identity, ...]:
    """Every contact identity `text` can be read as, normalised as identities are stored."""
    Kind, Network = ContactIdentity.Kind, ContactIdentity.Network
    found: list[Identity] = []
    if "@" in text.strip("@") and " " not in text:
        with suppress(InvalidIdentity):
            found.append(normalize(Kind.EMAIL, text))
    if _phone_re.match(text) and 6 <= sum(c.isdigit() for c in text) <= 15:
        try:
            phone = normalize(Kind.PHONE, text)
        except InvalidIdentity:
            pass
        else:
            found.append(phone)
            found.append(Identity(Kind.SOCIAL, phone.value, Network.WHATSAPP))
    if _handle_re.match(text) and not found:
        for network in HANDLE_NETWORKS:
            with suppress(InvalidIdentity):
                found.append(normalize(Kind.SOCIAL, text, network))
    return tuple(dict.fromkeys(found))


def _terms_in(text: str) -> tuple[str, ...]:
    words = (w.strip("-").strip(".,;:!?()[]{}") for w in _term_re.findall(text))
    unique = dict.fromkeys(w for w in words if w and w.lower() != "or")
    return tuple(unique)[:MAX_TERMS]


def parse_query(raw: str) -> Query:
    head = (raw or "")[: 4 * MAX_QUERY_CHARS]  # cleaning a megabyte to keep 200 is waste
    text = unicodedata.normalize("NFC", _space_re.sub(" ", _controls_re.sub(" ", head)).strip())
    truncated = len(text) > MAX_QUERY_CHARS or len(head) < len(raw or "")
    if truncated:
        text = text[:MAX_QUERY_CHARS].rstrip()
    query = Query(text=text, truncated=truncated)
    if query.too_short:
        return query
    reference = _reference_re.match(text)
    reference_id = int(reference.group(1)) if reference else None
    number = int(text) if _number_re.match(text) else None
    return Query(
        text=text,
        truncated=truncated,
        reference_id=reference_id if reference_id and reference_id <= MAX_DB_ID else None,
        case_number=number if number and number <= MAX_DB_ID else None,
        identities=_identities_in(text),
        terms=_terms_in(text),
    )


# --- results --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cursor:
    """Where a page of matching cases ends: the last row's (updated_at, id)."""

    updated_at: datetime
    case_id: int

    def __str__(self) -> str:
        micros = round(self.updated_at.timestamp() * 1_000_000)
        return f"{micros}-{self.case_id}"


class InvalidCursor(DomainError, ValueError):
    """A "more results" link that is not one of ours (cut short, edited): the page says so."""

    code = "invalid_cursor"
    status = 400
    field = "after"


def parse_cursor(value: str) -> Cursor:
    """The cursor of a "more results" link; InvalidCursor when it is not one of ours."""
    micros, sep, case_id = (value or "").partition("-")
    if not sep or not micros.isdigit() or not case_id.isdigit():
        raise InvalidCursor(f"not a results cursor: {value[:40]!r}")
    if not 1 <= int(case_id) <= MAX_DB_ID or len(micros) > 17:
        raise InvalidCursor(f"not a results cursor: {value[:40]!r}")
    try:
        at = datetime.fromtimestamp(int(micros) / 1_000_000, tz=UTC)
    except (OverflowError, OSError, ValueError):
        raise InvalidCursor(f"not a results cursor: {value[:40]!r}") from None
    return Cursor(updated_at=at, case_id=int(case_id))


@dataclass(frozen=True)
class Snippet:
    """A short excerpt of the matching message: `fragments` are (text, is_hit) pairs, plain
    text to escape on display (`hit` parts highlighted)."""

    interaction_id: int
    channel: str
    is_note: bool
    fragments: tuple[tuple[str, bool], ...]


@dataclass(frozen=True)
class CaseHit:
    case: Case
    snippet: Snippet | None = None


@dataclass(frozen=True)
class ContactHit:
    contact: Contact
    cases: tuple[Case, ...]  # the newest CONTACT_CASES_SHOWN the user may see
    more_cases: bool


@dataclass(frozen=True)
class SearchResults:
    query: Query
    jump_to: Case | None = None
    reference_hit: Case | None = None
    cases: tuple[CaseHit, ...] = ()
    has_more: bool = False
    next_cursor: Cursor | None = None
    contacts: tuple[ContactHit, ...] = ()
    timed_out: bool = False  # the text search ran out of time (SEARCH_TIMEOUT_MS)
    engine: str = field(default_factory=lambda: connection.vendor)

    @property
    def empty(self) -> bool:
        return not (self.reference_hit or self.cases or self.contacts)


# --- the search -----------------------------------------------------------------------------


def case_search(
    *, user: User, query: str, after: Cursor | None = None, limit: int = PAGE_SIZE
) -> SearchResults:
    """Search what `user` may see for `query`; see the module docstring. With `after`, the
    next page of matching cases only (no jump, no contacts)."""
    parsed = parse_query(query)
    if parsed.too_short:
        return SearchResults(query=parsed)
    visible = case_list_for(user=user)
    if after is None:
        by_id = parsed.reference_id or parsed.case_number
        known = visible.filter(pk=by_id).first() if by_id else None
        if known is not None and parsed.reference_id:
            return SearchResults(query=parsed, jump_to=known)
    else:
        known = None
    contacts = () if after is not None else _contact_matches(user, parsed)
    try:
        with text_search_plan():
            rows = list(matching_cases(visible, parsed, after)[: limit + 1])
            snippets = _snippets(parsed, [case.pk for case in rows[:limit]])
    except OperationalError as error:
        if not isinstance(error.__cause__, QueryCanceled):
            raise
        return SearchResults(query=parsed, reference_hit=known, contacts=contacts, timed_out=True)
    has_more = len(rows) > limit
    rows = rows[:limit]
    return SearchResults(
        query=parsed,
        reference_hit=known,
        cases=tuple(CaseHit(case=case, snippet=snippets.get(case.pk)) for case in rows),
        has_more=has_more,
        next_cursor=Cursor(rows[-1].updated_at, rows[-1].pk) if has_more else None,
        contacts=contacts,
    )


@contextmanager
def text_search_plan() -> Iterator[None]:
    """On PostgreSQL, the text queries run with sequential scans off and a time budget.

    The planner prices `to_tsvector` far below its cost: for a word in most messages it
    prefers a sequential scan that builds every message's tsvector again (measured on 9,000
    interactions: 490 ms, against 9 ms through `interaction_body_fts_idx`). Scoped to a
    savepoint and put back after, so nothing else in the request is planned so. A search
    that still takes longer than SEARCH_TIMEOUT_MS is cancelled (`timed_out`): the page
    asks for a narrower query instead of holding a database connection. JIT compilation is
    off too: with seqscans off, a million cases' estimates put even an email address's
    search (no row matches its words) past `jit_above_cost`, and compiling took 50–100 ms
    of a query that runs in 1 (bench/agent_pages.py: search by email at 1,000,000 cases).
    """
    if not uses_full_text_search():
        yield
        return
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_setting('enable_seqscan'), current_setting('statement_timeout'),"
            " current_setting('jit')"
        )
        seqscan, timeout, jit = cursor.fetchone()
        cursor.execute(
            "SELECT set_config('enable_seqscan', 'off', true),"
            " set_config('statement_timeout', %s, true), set_config('jit', 'off', true)",
            [str(SEARCH_TIMEOUT_MS)],
        )
        yield  # an error rolls the savepoint back, and the settings with it
        cursor.execute(
            "SELECT set_config('enable_seqscan', %s, true),"
            " set_config('statement_timeout', %s, true), set_config('jit', %s, true)",
            [seqscan, timeout, jit],
        )


def matching_cases(visible: QuerySet[Case], query: Query, after: Cursor | None) -> QuerySet[Case]:
    by_subject: QuerySet[Case]
    by_body: QuerySet[Interaction]
    if uses_full_text_search():
        tsquery = SearchQuery(query.text, config=SEARCH_CONFIG, search_type="websearch")
        by_subject = Case.objects.alias(fts=subject_vector()).filter(fts=tsquery)
        by_body = Interaction.objects.alias(fts=body_vector()).filter(fts=tsquery)
    elif query.terms:
        by_subject = Case.objects.filter(_all_terms("subject", query.terms))
        by_body = Interaction.objects.filter(_all_terms("body_text", query.terms))
    else:
        return visible.none()
    # One semi-join over the union of two index scans (not `subject OR EXISTS(body)`, which
    # PostgreSQL can only run by testing every visible case in turn).
    matching = by_subject.order_by().values("pk").union(by_body.order_by().values("case_id"))
    cases = visible.filter(pk__in=matching)
    if after is not None:
        cases = cases.filter(
            Q(updated_at__lt=after.updated_at)
            | Q(updated_at=after.updated_at, pk__lt=after.case_id)
        )
    return cases.order_by("-updated_at", "-id")


def _all_terms(field_name: str, terms: tuple[str, ...]) -> Q:
    condition = Q()
    for term in terms:
        condition &= Q(**{f"{field_name}__icontains": term})
    return condition


def _snippets(query: Query, case_ids: list[int]) -> dict[int, Snippet]:
    """The newest matching message of each case, as a highlighted excerpt: two queries."""
    if not case_ids:
        return {}
    messages = Interaction.objects.filter(case_id__in=case_ids)
    if uses_full_text_search():
        tsquery = SearchQuery(query.text, config=SEARCH_CONFIG, search_type="websearch")
        messages = messages.alias(fts=body_vector()).filter(fts=tsquery)
    elif query.terms:
        messages = messages.filter(_all_terms("body_text", query.terms))
    else:
        return {}
    newest = messages.annotate(
        row=Window(
            RowNumber(),
            partition_by=[F("case_id")],
            order_by=[F("occurred_at").desc(), F("id").desc()],
        )
    ).filter(row=1)
    chosen = Interaction.objects.filter(pk__in=newest.values("pk"))
    found: dict[int, Snippet] = {}
    if uses_full_text_search():
        rows = chosen.annotate(
            excerpt=SearchHeadline(
                # The markers ts_headline is given cannot come from the message itself.
                Replace(
                    Replace(Left("body_text", BODY_INDEXED_CHARS), Value(_HIT_START)),
                    Value(_HIT_END),
                ),
                tsquery,
                config=SEARCH_CONFIG,
                start_sel=_HIT_START,
                stop_sel=_HIT_END,
                max_words=24,
                min_words=10,
                max_fragments=2,
                fragment_delimiter=" … ",
            )
        ).values_list("pk", "case_id", "channel", "is_public", "excerpt")
        for pk, case_id, channel, is_public, excerpt in rows:
            found[case_id] = Snippet(pk, channel, not is_public, _marked_fragments(excerpt))
    else:
        rows = chosen.annotate(excerpt=Left("body_text", BODY_INDEXED_CHARS)).values_list(
            "pk", "case_id", "channel", "is_public", "excerpt"
        )
        for pk, case_id, channel, is_public, excerpt in rows:
            found[case_id] = Snippet(
                pk, channel, not is_public, _excerpt_fragments(excerpt, query.terms)
            )
    return found


def _clean(text: str) -> str:
    return _space_re.sub(" ", text)


def _marked_fragments(excerpt: str) -> tuple[tuple[str, bool], ...]:
    """ts_headline's text, hits between _HIT_START and _HIT_END, as (text, is_hit) pairs (the
    message's own such characters were replaced before ts_headline saw it)."""
    fragments: list[tuple[str, bool]] = []
    hit = False
    for part in re.split(f"([{_HIT_START}{_HIT_END}])", excerpt or ""):
        if part == _HIT_START:
            hit = True
        elif part == _HIT_END:
            hit = False
        elif part:
            fragments.append((_clean(part), hit))
    return tuple(fragments)


def _excerpt_fragments(text: str, terms: tuple[str, ...]) -> tuple[tuple[str, bool], ...]:
    """Around the first term found in `text`, with every term highlighted (SQLite)."""
    text = _clean(text or "").strip()
    pattern = re.compile("|".join(re.escape(t) for t in sorted(terms, key=len, reverse=True)), re.I)
    first = pattern.search(text)
    start = max(0, (first.start() if first else 0) - SNIPPET_CONTEXT_CHARS)
    end = min(len(text), (first.end() if first else 0) + 2 * SNIPPET_CONTEXT_CHARS)
    window = ("…" if start else "") + text[start:end] + ("…" if end < len(text) else "")
    fragments: list[tuple[str, bool]] = []
    position = 0
    for match in pattern.finditer(window):
        if match.start() > position:
            fragments.append((window[position : match.start()], False))
        fragments.append((match.group(0), True))
        position = match.end()
    if position < len(window):
        fragments.append((window[position:], False))
    return tuple(fragments)


def _contact_matches(user: User, query: Query) -> tuple[ContactHit, ...]:
    """Contacts known by an identity the query can be read as, with their newest visible
    cases: three queries (contacts, identities, cases — CONTACT_CASES_SHOWN + 1 per contact
    by a window in the database, however many cases they have)."""
    if not query.identities:
        return ()
    address = Q(pk__in=[])
    for identity in query.identities:
        address |= Q(kind=identity.kind, network=identity.network, value=identity.value)
    owners = ContactIdentity.objects.filter(address).values("contact_id")
    cases = case_list_for(user=user).prefetch_related(None)
    contacts = (
        Contact.objects.visible_to(user)
        .filter(pk__in=owners, merged_into__isnull=True)
        .select_related("organization")
        .prefetch_related(
            Prefetch("identities", queryset=ContactIdentity.objects.order_by("kind", "value")),
            Prefetch("cases", queryset=cases[: CONTACT_CASES_SHOWN + 1], to_attr="search_cases"),
        )
        .order_by("pk")[:MAX_CONTACTS]
    )
    hits = []
    for contact in contacts:
        shown: list[Case] = getattr(contact, "search_cases")  # noqa: B009 (the Prefetch's to_attr)
        hits.append(
            ContactHit(
                contact=contact,
                cases=tuple(shown[:CONTACT_CASES_SHOWN]),
                more_cases=len(shown) > CONTACT_CASES_SHOWN,
            )
        )
    return tuple(hits)
