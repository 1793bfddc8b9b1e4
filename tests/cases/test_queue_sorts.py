"""The queue's sorts: next breach (the default, nulls last), priority, age, last activity."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from apps.cases.models import Case
from tests.factories import CaseFactory

pytestmark = pytest.mark.django_db
Priority = Case.Priority
NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


@pytest.fixture
def cases(team):
    def make(name, hours_to_breach, priority, age_days, idle_hours):
        case = CaseFactory(
            team=team,
            subject=name,
            priority=priority,
            next_breach_at=None
            if hours_to_breach is None
            else NOW + timedelta(hours=hours_to_breach),
            created_at=NOW - timedelta(days=age_days),
        )
        Case.objects.filter(pk=case.pk).update(updated_at=NOW - timedelta(hours=idle_hours))
        return case

    return [
        make("a", 5, Priority.LOW, 1, 3),
        make("b", None, Priority.URGENT, 4, 1),
        make("c", -1, Priority.NORMAL, 2, 5),
        make("d", None, Priority.HIGH, 3, 2),
        make("e", 2, Priority.URGENT, 5, 4),
    ]


def _order(client, sort=None):
    params = {"view": "queue"} | ({"sort": sort} if sort else {})
    with time_machine.travel(NOW, tick=False):
        response = client.get(reverse("home"), params)
    return "".join(c.subject for c in response.context["page"].rows)


def test_the_default_is_the_next_breach_first_cases_without_a_clock_last(client, agent, cases):
    client.force_login(agent)
    assert _order(client) == "ceabd"  # b and d have no clock: by id after the others
    assert _order(client, "breach") == "ceabd"


def test_priority_urgent_first(client, agent, cases):
    client.force_login(agent)
    assert _order(client, "priority") == "bedca"


def test_age_oldest_first(client, agent, cases):
    client.force_login(agent)
    assert _order(client, "age") == "ebdca"


def test_last_activity_most_recent_first(client, agent, cases):
    client.force_login(agent)
    assert _order(client, "activity") == "bdaec"
