"""Matching cases come 50 a page, "50+" instead of a count, a keyset link to the next page."""

import pytest
from django.urls import reverse

from apps.cases.search import PAGE_SIZE
from tests.factories import CaseFactory

pytestmark = pytest.mark.django_db


def test_a_second_page_continues_where_the_first_ended(client, agent, team):
    cases = CaseFactory.create_batch(PAGE_SIZE + 7, team=team, subject="Voucher not accepted")
    client.force_login(agent)
    first = client.get(reverse("case-search"), {"q": "voucher"})
    results = first.context["results"]
    assert len(results.cases) == PAGE_SIZE
    assert results.has_more
    body = first.content.decode()
    assert f"{PAGE_SIZE}+" in body
    assert f"after={results.next_cursor}" in body

    second = client.get(reverse("case-search"), {"q": "voucher", "after": str(results.next_cursor)})
    rest = second.context["results"]
    assert len(rest.cases) == 7
    assert not rest.has_more
    assert rest.next_cursor is None
    pages = [hit.case for hit in results.cases] + [hit.case for hit in rest.cases]
    assert pages == sorted(cases, key=lambda c: (c.updated_at, c.pk), reverse=True)


def test_cases_updated_in_the_same_instant_are_neither_lost_nor_repeated(client, agent, team):
    from django.utils import timezone

    from apps.cases.models import Case

    cases = CaseFactory.create_batch(PAGE_SIZE + 3, team=team, subject="Voucher")
    Case.objects.filter(pk__in=[c.pk for c in cases]).update(updated_at=timezone.now())
    client.force_login(agent)
    first = client.get(reverse("case-search"), {"q": "voucher"}).context["results"]
    second = client.get(
        reverse("case-search"), {"q": "voucher", "after": str(first.next_cursor)}
    ).context["results"]
    seen = [hit.case.pk for hit in first.cases + second.cases]
    assert sorted(seen) == sorted(c.pk for c in cases)
    assert len(set(seen)) == len(seen)
