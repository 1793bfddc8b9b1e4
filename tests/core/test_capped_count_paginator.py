"""CappedCountPaginator counts exactly up to its cap and no further: beyond it PostgreSQL's
planner estimates (and says so), SQLite counts."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.cases.models import Case
from apps.core.paginators import CappedCountPaginator
from tests.factories import CaseFactory

pytestmark = pytest.mark.django_db
on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the planner's estimate is PostgreSQL's"
)


class CapOfFive(CappedCountPaginator):
    exact_up_to = 5


def test_a_list_under_the_cap_is_counted_exactly():
    CaseFactory.create_batch(4)
    paginator = CapOfFive(Case.objects.order_by("pk"), 2)
    assert paginator.count == 4
    assert paginator.num_pages == 2
    assert not paginator.estimated


def test_the_count_reads_no_row_past_the_cap():
    CaseFactory.create_batch(8)
    paginator = CapOfFive(Case.objects.order_by("pk"), 2)
    with CaptureQueriesContext(connection) as queries:
        paginator.count  # noqa: B018 (the property runs the queries)
    capped = queries.captured_queries[0]["sql"]
    assert "COUNT(*)" in capped
    assert "LIMIT 6" in capped


def test_a_python_list_is_its_length():
    assert CapOfFive(list(range(12)), 5).count == 12


@pytest.mark.skipif(connection.vendor == "postgresql", reason="SQLite counts past the cap")
def test_past_the_cap_sqlite_counts_exactly():
    CaseFactory.create_batch(8)
    paginator = CapOfFive(Case.objects.order_by("pk"), 2)
    assert paginator.count == 8
    assert not paginator.estimated


@on_postgresql
def test_past_the_cap_postgresql_gives_the_planners_estimate_marked_as_one():
    CaseFactory.create_batch(8)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE cases_case")
    paginator = CapOfFive(Case.objects.order_by("pk"), 2)
    with CaptureQueriesContext(connection) as queries:
        count = paginator.count
    assert paginator.estimated
    assert count >= 6  # more than the cap is known: an estimate never says fewer
    assert [q["sql"].split()[0] for q in queries.captured_queries] == ["SELECT", "EXPLAIN"]
