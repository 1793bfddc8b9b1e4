"""The admin's case and interaction lists stay cheap over a big history: no date hierarchy
(a DISTINCT over every case's date), counts capped (CappedCountPaginator), interactions by
id, newest first (their own index, not a sort of every occurred_at)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.core.paginators import CappedCountPaginator
from tests.factories import CaseFactory, InteractionFactory

pytestmark = pytest.mark.django_db


def test_the_case_list_renders_without_a_date_hierarchy(admin_client):
    CaseFactory.create_batch(3)
    response = admin_client.get(reverse("admin:cases_case_changelist"))
    assert response.status_code == 200
    assert b'class="xfull"' not in response.content  # the date hierarchy's bar
    assert response.context["cl"].date_hierarchy is None
    assert b"3 cases" in response.content


def test_the_case_list_never_counts_every_case(admin_client):
    CaseFactory.create_batch(3)
    with CaptureQueriesContext(connection) as queries:
        response = admin_client.get(
            reverse("admin:cases_case_changelist"), {"status__exact": "new"}
        )
    assert response.status_code == 200
    counts = [q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"].upper()]
    counts_of_cases = [sql for sql in counts if '"cases_case"' in sql]
    assert counts_of_cases, "the list counts its cases"
    assert all("LIMIT" in sql for sql in counts_of_cases), counts_of_cases


def test_past_the_cap_the_count_is_an_estimate_where_the_database_has_one(
    admin_client, monkeypatch
):
    monkeypatch.setattr(CappedCountPaginator, "exact_up_to", 2)
    CaseFactory.create_batch(4)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE cases_case")
    response = admin_client.get(reverse("admin:cases_case_changelist"))
    assert response.status_code == 200
    paginator = response.context["cl"].paginator
    assert isinstance(paginator, CappedCountPaginator)
    if connection.vendor == "postgresql":
        assert paginator.estimated
        assert b"about " in response.content
    else:  # SQLite counts exactly
        assert not paginator.estimated
        assert b"4 cases" in response.content


def test_the_interaction_list_shows_the_newest_first(admin_client):
    case = CaseFactory()
    older, newer = InteractionFactory(case=case), InteractionFactory(case=case)
    response = admin_client.get(reverse("admin:cases_interaction_changelist"))
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [newer, older]
