""" "List under problem" on the queue: the queue page keeps its 12 queries (it loads no
problem); the button posts the selection to a picker page, which lists the cases once."""

import pytest
from django.urls import reverse

from apps.cases.models import Case
from apps.problems.models import Problem
from tests.factories import CaseFactory

pytestmark = pytest.mark.django_db


def test_the_queue_keeps_its_12_queries_with_the_bulk_action(
    client, agent, team, problem, django_assert_max_num_queries
):
    CaseFactory.create_batch(5, team=team, status=Case.Status.OPEN)
    client.force_login(agent)
    with django_assert_max_num_queries(12):
        page = client.get(reverse("home") + "?scope=all")
    assert f'formaction="{reverse("problems:bulk-link")}"' in page.content.decode()
    assert problem.title not in page.content.decode()


def test_the_selection_goes_to_a_picker_then_is_listed(client, agent, team, problem):
    cases = CaseFactory.create_batch(3, team=team, status=Case.Status.OPEN)
    ids = [c.pk for c in cases]
    client.force_login(agent)
    picker = client.post(reverse("problems:bulk-link"), {"case": ids, "next": "/?scope=all"})
    assert picker.status_code == 200
    html = picker.content.decode()
    assert problem.title in html
    for case in cases:
        assert f'name="case" value="{case.pk}"' in html
    done = client.post(
        reverse("problems:bulk-link"), {"case": ids, "problem": problem.pk, "next": "/?scope=all"}
    )
    assert done.status_code == 302
    assert done["Location"] == "/?scope=all"
    assert sorted(problem.links.values_list("case_id", flat=True)) == sorted(ids)
    again = client.post(
        reverse("problems:bulk-link"), {"case": ids, "problem": problem.pk}, follow=True
    )
    assert "0 cases listed" in again.content.decode()
    assert problem.links.count() == 3


def test_a_case_of_another_team_refuses_the_whole_selection(
    client, agent, team, other_team, problem
):
    mine, theirs = CaseFactory(team=team), CaseFactory(team=other_team)
    client.force_login(agent)
    response = client.post(
        reverse("problems:bulk-link"), {"case": [mine.pk, theirs.pk], "problem": problem.pk}
    )
    assert response.status_code == 404
    assert not problem.links.exists()


def test_another_teams_problem_is_not_found(client, agent, team, other_team, billing_cause):
    hidden = Problem.objects.create(title="Hidden", root_cause=billing_cause, owner_team=other_team)
    case = CaseFactory(team=team)
    client.force_login(agent)
    response = client.post(reverse("problems:bulk-link"), {"case": [case.pk], "problem": hidden.pk})
    assert response.status_code == 404


def test_no_selection_or_a_bad_id_is_a_400(client, agent):
    client.force_login(agent)
    assert client.post(reverse("problems:bulk-link"), {}).status_code == 400
    assert client.post(reverse("problems:bulk-link"), {"case": ["x"]}).status_code == 400
