"""A paginator whose count costs at most EXACT_UP_TO rows, for lists over a big history.

Django's Paginator counts every row of its list (`SELECT COUNT(*)`) to number the pages: on
the admin's case list at 1,000,000 cases that is a scan of the whole table on every page
(and of 3,000,000 interactions on theirs). `CappedCountPaginator` counts exactly up to
EXACT_UP_TO rows — `SELECT COUNT(*) FROM (… LIMIT EXACT_UP_TO + 1)`, which stops there —
and beyond that, on PostgreSQL, takes the planner's estimate of the list's rows (EXPLAIN:
the statistics ANALYZE keeps, no row read) and says so: `estimated` is True, and
templates/admin/cases/pagination.html writes "about 1,000,000 cases". Elsewhere (SQLite, a
small embedded install) it counts exactly beyond the cap too.

An estimate can be off either way: page links past the real end show an empty page, never
an error (Paginator.page slices; the admin's changelist shows no rows).
"""

import json
from functools import cached_property
from typing import Any

from django.core.paginator import Paginator
from django.db import connections
from django.db.models import QuerySet

EXACT_UP_TO = 10_000


def planner_rows(queryset: QuerySet[Any]) -> int | None:
    """PostgreSQL's estimate of the rows `queryset` returns (EXPLAIN), None elsewhere."""
    connection = connections[queryset.db]
    if connection.vendor != "postgresql":
        return None
    sql, params = queryset.order_by().query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        plan = cursor.fetchone()[0]
    if isinstance(plan, str):
        plan = json.loads(plan)
    return int(plan[0]["Plan"]["Plan Rows"])


class CappedCountPaginator(Paginator):
    exact_up_to = EXACT_UP_TO
    estimated = False  # True once `count` is the planner's estimate

    @cached_property
    def count(self) -> int:
        objects = self.object_list
        if not isinstance(objects, QuerySet):  # a list: len() is free
            return len(objects)
        capped = objects.order_by()[: self.exact_up_to + 1].count()
        if capped <= self.exact_up_to:
            return capped
        estimate = planner_rows(objects)
        if estimate is None:
            return objects.count()
        self.estimated = True
        # More than the cap, that much is known: the estimate never says fewer.
        return max(estimate, self.exact_up_to + 1)
