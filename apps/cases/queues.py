"""The agent's queue views: which cases each view holds, their counts, sorts and keyset pages.

Costs are bounded by the open backlog, never by the history:

- Who sees what is `Case.objects.visible_to` (what `selectors.case_list_for` returns), with
  the user's team ids read once (`Scope`) and given to the query as constants: a
  `team_id IN (1, 2) OR assignee_id = 7` can be answered by two index scans (a BitmapOr on
  PostgreSQL), where `team_id IN (SELECT …)` OR'ed with anything is a filter over every row.
- The open views filter `status IN (new, open, pending, on hold)` — positively, so that the
  partial indexes on open statuses (models.Case.Meta: case_open_team_breach_idx,
  case_open_assignee_breach_idx) serve both their list and their count.
- Their counts are one query (`view_counts`): each view's count is a sum of counts of
  disjoint parts, each an index-only scan of the partial index its list uses
  (`_counted_parts`); "all" counts up to ALL_COUNT_CAP rows and then says "1,000+".
- Pages are keyset pages (`page_of`): a cursor of the sort key and the id, no OFFSET, no COUNT.
- An open view that is an OR — "my queue" is mine OR my teams' unassigned, "pending" is my
  teams' OR mine — is read as its parts (`view_parts`): each part's first rows in sort order
  through its own partial index (an index-only scan that stops after a page), the union of
  those few ids, then the page. As one query with the OR, PostgreSQL can only gather every
  matching open case, join each to its requester and sort them all: at 1,000,000 cases
  (4,000 open cases in the queue of an agent of two teams) 167 ms against 19 ms — the parts
  take 0.2 ms, the page's joins are on 150 rows (EXPLAIN ANALYZE on the database of
  bench/agent_pages.py). Where a database cannot limit each part of a UNION (SQLite), the
  page is the one query.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.contrib.postgres.expressions import ArraySubquery
from django.db import connections
from django.db.models import Case as SqlCase
from django.db.models import F, IntegerField, Lookup, Q, QuerySet, Value, When
from django.utils import timezone

from apps.accounts.models import role_of
from apps.accounts.types import AnyUser

from .models import OPEN_STATUSES, Case

Status = Case.Status
# "Breaching soon": the next SLA due time within this much, or already past.
BREACHING_WITHIN = timedelta(hours=1)
ALL_COUNT_CAP = 1000
PAGE_SIZE = 50


@dataclass(frozen=True)
class Scope:
    """Who is asking, with what their visibility needs read once per request."""

    user: AnyUser
    is_admin: bool
    teams: tuple[tuple[int, str], ...]  # (id, name) of the user's teams, by name

    @property
    def team_ids(self) -> tuple[int, ...]:
        return tuple(pk for pk, _ in self.teams)

    @classmethod
    def of(cls, user: AnyUser) -> "Scope":
        if not user.is_authenticated or not user.is_active:
            return cls(user=user, is_admin=False, teams=())
        teams = tuple(user.teams.order_by("name", "pk").values_list("pk", "name"))
        return cls(user=user, is_admin=role_of(user) == "admin", teams=teams)

    def visible(self) -> QuerySet[Case]:
        """The same rows as `Case.objects.visible_to(user)`, with the team ids as constants."""
        if not self.user.is_authenticated or not self.user.is_active:
            return Case.objects.none()
        if self.is_admin:
            return Case.objects.all()
        return Case.objects.filter(Q(team_id__in=self.team_ids) | Q(assignee=self.user))


@dataclass(frozen=True)
class View:
    key: str
    label: str
    open_only: bool


VIEWS = {
    v.key: v
    for v in (
        View("queue", "My queue", True),  # mine + my teams' unassigned (the landing view)
        View("mine", "My open cases", True),
        View("unassigned", "Unassigned", True),
        View("breaching", "Breaching soon", True),
        View("pending", "Pending", True),
        View("all", "All cases", False),
    )
}
DEFAULT_VIEW = "queue"


def _view_condition(scope: Scope, key: str, now: datetime) -> Q:
    """The condition a view adds to the visible (open, for the open views) cases."""
    mine = Q(assignee=scope.user)
    unassigned = Q(assignee__isnull=True, team_id__in=scope.team_ids)
    return {
        "queue": mine | unassigned,
        "mine": mine,
        "unassigned": unassigned,
        "breaching": Q(next_breach_at__lt=now + BREACHING_WITHIN),
        "pending": Q(status=Status.PENDING),
        "all": Q(),
    }[key]


# What a row shows and what its cursor needs (apps/cases/queue_rows.py, Cursor): the page
# reads these columns only — not the case's custom fields, the requester's notes, the
# assignee's password hash —, 51 rows of 4 models with a dozen dates each otherwise.
# A field outside them would cost a query per row: tests/cases/test_queue_queries.py.
ROW_FIELDS = (
    *("subject", "status", "priority", "channel", "created_at", "updated_at", "next_breach_at"),
    *("requester__name", "assignee__username", "assignee__first_name", "assignee__last_name"),
)


def view_cases(scope: Scope, key: str, *, now: datetime | None = None) -> QuerySet[Case]:
    """The cases of view `key` (see VIEWS) the user may see, unordered, with what a row shows."""
    now = now or timezone.now()
    cases = scope.visible()
    if VIEWS[key].open_only:
        cases = cases.filter(status__in=OPEN_STATUSES)
    return (
        cases.filter(_view_condition(scope, key, now))
        .select_related("requester", "assignee")
        .only(*ROW_FIELDS)
        .prefetch_related("tags")
    )


def open_cases(condition: Q) -> QuerySet[Case]:
    """The open cases matching `condition` (a part of `view_parts`), bare rows."""
    return Case.objects.filter(status__in=OPEN_STATUSES).filter(condition)


def view_parts(scope: Scope, key: str, *, now: datetime | None = None) -> list[Q] | None:
    """View `key` as conditions on open cases whose union is the view, each one a partial
    index serves in next-breach order (models.Case.Meta: case_open_assignee_breach_idx,
    case_open_unassigned_idx, case_open_team_breach_idx). Parts may overlap: they only
    gather ids. None when the view is better read as one query ("all", which walks
    case_next_breach_idx; an admin's views that are no OR)."""
    now = now or timezone.now()
    if not VIEWS[key].open_only or not scope.user.is_authenticated:
        return None
    mine = Q(assignee=scope.user)
    unassigned = [Q(assignee__isnull=True, team_id=t) for t in scope.team_ids]
    if key == "queue":
        return [mine, *unassigned]
    if key == "mine":
        return None  # one index already: the assignee's
    if key == "unassigned":
        return unassigned
    condition = _view_condition(scope, key, now)
    if scope.is_admin:
        return None  # every case: no OR to split
    return [Q(team_id=t) & condition for t in scope.team_ids] + [mine & condition]


@dataclass(frozen=True)
class Counts:
    by_view: dict[str, int]
    all_capped: bool  # the "all" figure is ALL_COUNT_CAP and there are more

    def label(self, key: str) -> str:
        n = self.by_view[key]
        return f"{n:,}+" if key == "all" and self.all_capped else f"{n:,}"


def _counted_parts(scope: Scope, key: str, now: datetime) -> list[QuerySet[Case]]:
    """Disjoint querysets whose counts add up to view `key`'s, each one read by an
    index-only scan of a partial index on open cases (mine: case_open_assignee_breach_idx;
    unassigned: case_open_unassigned_idx; breaching: case_open_team_breach_idx; pending:
    case_pending_team_idx), plus, for breaching and pending, the user's own cases outside
    their teams (a few rows of the assignee's index). Counted together with the OR, as one
    aggregate over every visible open case, PostgreSQL fetched each of those rows from the
    table: 9,930 rows, 4,642 pages, 6.9 ms at 1,000,000 cases (bench/agent_pages.py)."""
    mine = Q(assignee=scope.user)
    teams = Q(team_id__in=scope.team_ids)
    if key == "mine":
        return [open_cases(mine)]
    if key == "unassigned":
        return [open_cases(_view_condition(scope, key, now))] if scope.team_ids else []
    condition = _view_condition(scope, key, now)
    if scope.is_admin:
        return [open_cases(condition)]
    visible = [teams, mine & ~teams] if scope.team_ids else [mine]
    return [open_cases(part & condition) for part in visible]


def _count_sql(querysets: list[QuerySet[Case]], *, cap: int | None = None) -> tuple[str, list]:
    """`(SELECT count(*) FROM (…)) + …` of the querysets' ids, each up to `cap` rows."""
    if not querysets:
        return "0", []
    pieces: list[str] = []
    params: list[Any] = []
    for cases in querysets:
        ids = cases.order_by().values("pk")
        sql, part_params = (ids[:cap] if cap is not None else ids).query.sql_with_params()
        pieces.append(f"(SELECT COUNT(*) FROM ({sql}) counted)")
        params.extend(part_params)
    return " + ".join(pieces), params


def view_counts(scope: Scope, *, now: datetime | None = None) -> Counts:
    """Every view's count in one query: a sum of index-only counts per view
    (`_counted_parts`), and "all" counted up to ALL_COUNT_CAP + 1 rows."""
    now = now or timezone.now()
    if not scope.user.is_authenticated or not scope.user.is_active:
        return Counts(by_view=dict.fromkeys(VIEWS, 0), all_capped=False)
    open_keys = [k for k, v in VIEWS.items() if v.open_only and k != "queue"]
    columns, params = [], []
    for key in open_keys:
        sql, key_params = _count_sql(_counted_parts(scope, key, now))
        columns.append(sql)
        params.extend(key_params)
    sql, all_params = _count_sql([scope.visible()], cap=ALL_COUNT_CAP + 1)
    columns.append(sql)
    params.extend(all_params)
    with connections[Case.objects.db].cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(columns), params)
        *figures, capped = cursor.fetchone()
    by_view: dict[str, int] = dict(zip(open_keys, figures, strict=True))
    # mine and unassigned never overlap (an assignee, or none): the queue is their sum.
    by_view["queue"] = by_view["mine"] + by_view["unassigned"]
    by_view["all"] = min(capped, ALL_COUNT_CAP)
    return Counts(by_view=by_view, all_capped=capped > ALL_COUNT_CAP)


# --- sorts and keyset pages ---------------------------------------------------------------

PRIORITY_RANK = SqlCase(
    When(priority=Case.Priority.URGENT, then=Value(0)),
    When(priority=Case.Priority.HIGH, then=Value(1)),
    When(priority=Case.Priority.NORMAL, then=Value(2)),
    default=Value(3),
    output_field=IntegerField(),
)


@dataclass(frozen=True)
class Sort:
    key: str
    label: str
    field: str
    descending: bool = False
    nullable: bool = False  # only ascending sorts are nullable here: nulls last
    is_datetime: bool = True


SORTS = {
    s.key: s
    for s in (
        Sort("breach", "Next breach", "next_breach_at", nullable=True),
        Sort("priority", "Priority", "priority_rank", is_datetime=False),
        Sort("age", "Oldest first", "created_at"),
        Sort("activity", "Last activity", "updated_at", descending=True),
    )
}
DEFAULT_SORT = "breach"


class BadCursor(ValueError):
    pass


@dataclass(frozen=True)
class Cursor:
    value: Any  # the sort key of a row (None for a null next breach)
    id: int

    def encode(self, sort: Sort) -> str:
        if self.value is None:
            text = ""
        elif sort.is_datetime:
            text = self.value.isoformat()
        else:
            text = str(self.value)
        return f"{text}~{self.id}"

    @classmethod
    def decode(cls, raw: str, sort: Sort) -> "Cursor":
        text, sep, ident = raw.rpartition("~")
        if not sep or not ident.isascii() or not ident.isdigit() or not 0 < int(ident) < 2**63:
            raise BadCursor(raw)
        value: Any
        try:
            if text == "":
                if not sort.nullable:
                    raise BadCursor(raw)
                value = None
            elif sort.is_datetime:
                value = datetime.fromisoformat(text)
                if timezone.is_naive(value):
                    raise BadCursor(raw)
            else:
                if not (text.isascii() and text.isdigit()):
                    raise BadCursor(raw)
                value = int(text)
        except (ValueError, OverflowError):
            raise BadCursor(raw) from None
        return cls(value=value, id=int(ident))


def _key_of(case: Case, sort: Sort) -> Cursor:
    return Cursor(value=getattr(case, sort.field), id=case.pk)


def _ordering(sort: Sort, *, reverse: bool) -> list:
    descending = sort.descending != reverse
    if descending:
        # Reversed "ascending, nulls last" is "descending, nulls first".
        key = F(sort.field).desc(nulls_first=True) if sort.nullable else F(sort.field).desc()
        return [key, F("id").desc()]
    key = F(sort.field).asc(nulls_last=True) if sort.nullable else F(sort.field).asc()
    return [key, F("id").asc()]


def _beyond(sort: Sort, cursor: Cursor, *, forward: bool) -> Q:
    """Rows after `cursor` in the sort's order (forward) or before it (backward)."""
    f, v, i = sort.field, cursor.value, cursor.id
    later = forward != sort.descending  # walking towards larger keys
    cmp, id_cmp = ("gt", "gt") if later else ("lt", "lt")
    if not sort.nullable:
        return Q(**{f"{f}__{cmp}": v}) | Q(**{f: v, f"id__{id_cmp}": i})
    # Nullable, ascending with nulls last: nulls sort after every value.
    if v is None:
        if forward:
            return Q(**{f"{f}__isnull": True, f"id__{id_cmp}": i})
        return Q(**{f"{f}__isnull": False}) | Q(**{f"{f}__isnull": True, f"id__{id_cmp}": i})
    if forward:
        return (
            Q(**{f"{f}__{cmp}": v}) | Q(**{f: v, f"id__{id_cmp}": i}) | Q(**{f"{f}__isnull": True})
        )
    return Q(**{f"{f}__{cmp}": v}) | Q(**{f: v, f"id__{id_cmp}": i})


@dataclass(frozen=True)
class Page:
    rows: list[Case]
    next_cursor: str | None
    previous_cursor: str | None


def _sorted(cases: QuerySet[Case], sort: Sort) -> QuerySet[Case]:
    return cases.annotate(priority_rank=PRIORITY_RANK) if sort.field == "priority_rank" else cases


class _AnyOf(Lookup):
    """`lhs = ANY(rhs)`, rhs an ARRAY (PostgreSQL)."""

    lookup_name = "any_of"

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} = ANY({rhs})", (*lhs_params, *rhs_params)


def _pk_among(ids: QuerySet[Case, Any], *, vendor: str) -> Q | Lookup:
    """`pk IN (ids)`, on PostgreSQL as `pk = ANY(ARRAY(ids))`: the ids are then read first
    (an InitPlan) and the page's rows by primary key. As `IN (…)`, PostgreSQL estimates the
    page's other conditions to hold for a few rows and reads every case they match before
    keeping those among the ids: the 3,856 unassigned open cases of two teams at 1,000,000
    cases, 18 ms, against 102 rows and 1.4 ms (bench/agent_pages.py, EXPLAIN ANALYZE)."""
    if vendor != "postgresql":
        return Q(pk__in=ids)
    return _AnyOf(F("pk"), ArraySubquery(ids))


def _first_rows(
    cases: QuerySet[Case],
    sort: Sort,
    *,
    beyond: Q,
    reverse: bool,
    limit: int,
    parts: Sequence[QuerySet[Case]] | None,
) -> list[Case]:
    """The first `limit` rows of `cases` past `beyond` in sort order (reversed: backwards).
    With `parts` (querysets whose union holds every such row), each part's first `limit`
    ids are read first and the page is taken among them (see the module docstring)."""
    ordering = _ordering(sort, reverse=reverse)
    cases = _sorted(cases, sort).filter(beyond)
    if parts and connections[cases.db].features.supports_slicing_ordering_in_compound:
        firsts = [
            _sorted(part, sort).filter(beyond).order_by(*ordering).values("pk")[:limit]
            for part in parts
        ]
        ids = firsts[0].union(*firsts[1:], all=True) if len(firsts) > 1 else firsts[0]
        cases = cases.filter(_pk_among(ids, vendor=connections[cases.db].vendor))
    return list(cases.order_by(*ordering)[:limit])


def page_of(
    cases: QuerySet[Case],
    sort: Sort,
    *,
    after: Cursor | None = None,
    before: Cursor | None = None,
    size: int | None = None,
    parts: Sequence[QuerySet[Case]] | None = None,
) -> Page:
    """One page of `cases` in `sort` order: the first, the one after `after`, or the one
    before `before`. Reads size + 1 rows to know whether another page follows; no count.
    `parts`: querysets whose union is `cases` (each with the same filters), read part by
    part in one query where the database can (`view_parts`)."""
    size = size or PAGE_SIZE
    if before is not None:
        rows = _first_rows(
            cases,
            sort,
            beyond=_beyond(sort, before, forward=False),
            reverse=True,
            limit=size + 1,
            parts=parts,
        )
        more_before = len(rows) > size
        rows = rows[:size][::-1]
        return Page(
            rows=rows,
            next_cursor=_key_of(rows[-1], sort).encode(sort) if rows else None,
            previous_cursor=_key_of(rows[0], sort).encode(sort) if rows and more_before else None,
        )
    rows = _first_rows(
        cases,
        sort,
        beyond=_beyond(sort, after, forward=True) if after is not None else Q(),
        reverse=False,
        limit=size + 1,
        parts=parts,
    )
    more_after = len(rows) > size
    rows = rows[:size]
    # A page reached by a cursor has rows before it (at least the cursor's own row).
    return Page(
        rows=rows,
        next_cursor=_key_of(rows[-1], sort).encode(sort) if more_after else None,
        previous_cursor=_key_of(rows[0], sort).encode(sort) if rows and after else None,
    )
