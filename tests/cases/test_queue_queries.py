"""Every queue view runs the same number of queries for 5 cases or 50 (≤ 12 in all)."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.cases import queues, services
from apps.cases.models import Case
from tests.factories import AgentFactory, CaseFactory

pytestmark = pytest.mark.django_db


def _make(view, n, *, agent, colleague, team):
    """`n` cases that view `view` lists, with varied assignees and requesters."""
    soon = timezone.now() + timedelta(minutes=20)
    for i in range(n):
        mine = view == "mine" or (view == "queue" and i % 2)
        other = view in ("breaching", "pending", "all") and i % 2
        case = CaseFactory(
            team=team,
            status=Case.Status.PENDING if view == "pending" else Case.Status.OPEN,
            assignee=agent if mine else colleague if other else None,
            next_breach_at=soon if view == "breaching" else None,
        )
        if i % 5 == 0:
            services.case_set_tags(case_id=case.pk, tags=["vip", f"t{i}"], actor=agent)


@pytest.mark.parametrize("view", sorted(queues.VIEWS))
@pytest.mark.parametrize("sort", ["breach", "priority"])
def test_a_view_costs_the_same_queries_for_5_or_50_cases(
    client, agent, team, view, sort, django_assert_max_num_queries
):
    colleague = AgentFactory(teams=[team])
    client.force_login(agent)
    url = reverse("home") + f"?view={view}&sort={sort}&channel=email"
    _make(view, 5, agent=agent, colleague=colleague, team=team)
    with django_assert_max_num_queries(12) as small:
        assert len(client.get(url).context["page"].rows) == 5
    _make(view, 45, agent=agent, colleague=colleague, team=team)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(url)
    assert len(response.context["page"].rows) == 50
