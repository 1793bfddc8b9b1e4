"""The case list's SQL: no DISTINCT where no join can repeat a row (it makes PostgreSQL read,
de-duplicate and sort every match before it can return the first page)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.cases.models import Tag
from tests.factories import CaseFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/cases/"


def _list_sql(client, query: str) -> tuple[dict, str]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(f"{URL}?{query}")
    assert response.status_code == 200, response.json()
    (sql,) = [q["sql"] for q in ctx.captured_queries if 'FROM "cases_case"' in q["sql"]]
    return response.json(), sql


@pytest.mark.parametrize(
    "query",
    [
        "status=new&status=open",
        "priority=high&priority=urgent",
        "channel=web&channel=email",
        "status=open&channel=web&priority=high",
        "tag=billing",
        "tag=billing&status=new&status=open",
    ],
)
def test_the_list_sql_has_no_distinct(admin_api, query):
    CaseFactory()
    _, sql = _list_sql(admin_api, query)
    assert "DISTINCT" not in sql.upper()


def test_a_case_with_two_tags_is_listed_once(admin_api):
    case = CaseFactory(status="open")
    case.tags.add(Tag.objects.create(name="billing"), Tag.objects.create(name="refund"))
    CaseFactory(status="open")  # untagged
    body, _ = _list_sql(admin_api, "tag=billing&status=new&status=open")
    assert [row["id"] for row in body["results"]] == [case.pk]
