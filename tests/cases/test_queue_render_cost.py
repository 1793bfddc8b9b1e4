"""The queue page renders the same templates for 5 rows or 50, and for 2 assignees to choose
from or 30: no template per row (apps/cases/queue_rows.py) nor per option of a filter
(apps/core/widgets.py). Each include cost ~30 µs and its lookups more — 260 of them were
most of the page's time (bench/agent_pages.py)."""

import pytest
from django.urls import reverse

from apps.cases.models import Case
from tests.factories import AgentFactory, CaseFactory

pytestmark = pytest.mark.django_db


def templates_rendered(client) -> list[str]:
    response = client.get(reverse("home"), {"view": "all"})
    assert response.status_code == 200
    return [t.name for t in response.templates]


def test_rows_and_filter_options_render_no_template_each(client, agent, team):
    client.force_login(agent)
    CaseFactory.create_batch(5, team=team, status=Case.Status.OPEN, assignee=agent)
    few = templates_rendered(client)
    CaseFactory.create_batch(45, team=team, status=Case.Status.OPEN)
    AgentFactory.create_batch(28, teams=[team])  # the assignee filter's options
    many = templates_rendered(client)
    assert len(many) == len(few), sorted(set(many) - set(few))
    assert "django/forms/widgets/select_option.html" not in many
