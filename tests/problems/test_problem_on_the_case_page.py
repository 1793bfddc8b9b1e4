"""The case page's problems panel: loaded by htmx after the page, so the page keeps its
budget of 22 queries; the panel lists the case's problems and lists it under another."""

import pytest
from django.urls import reverse

from apps.problems import services
from apps.problems.models import Problem
from tests.factories import CaseFactory, InteractionFactory

pytestmark = pytest.mark.django_db


def test_the_case_page_keeps_its_budget_of_22_queries(
    client, agent, team, problem, supervisor, django_assert_max_num_queries
):
    case = CaseFactory(team=team)
    InteractionFactory.create_batch(2, case=case)
    services.problem_link_cases(problem_id=problem.pk, case_ids=[case.pk], actor=supervisor)
    client.force_login(agent)
    with django_assert_max_num_queries(22):
        page = client.get(reverse("case-detail", args=[case.pk]))
    body = page.content.decode()
    assert reverse("problems:case-panel", args=[case.pk]) in body  # the slot, loaded later
    assert 'hx-trigger="load"' in body


def test_the_panel_lists_the_case_problems_and_offers_the_others(
    client, agent, team, problem, supervisor, billing_cause, django_assert_max_num_queries
):
    case = CaseFactory(team=team)
    other = services.problem_create(
        title="Refund delays", root_cause=billing_cause, owner_team=team, actor=supervisor
    )
    services.problem_link_cases(problem_id=problem.pk, case_ids=[case.pk], actor=supervisor)
    client.force_login(agent)
    with django_assert_max_num_queries(10):
        panel = client.get(reverse("problems:case-panel", args=[case.pk]), HTTP_HX_REQUEST="true")
    html = panel.content.decode()
    assert "Double charge on renewal" in html
    assert f'<option value="{other.pk}">' in html
    assert f'<option value="{problem.pk}">' not in html  # listed already
    assert "<html" not in html  # a partial for htmx
    assert "<html" in client.get(reverse("problems:case-panel", args=[case.pk])).content.decode()


def test_an_agent_lists_the_case_from_its_page(client, agent, team, problem):
    case = CaseFactory(team=team)
    client.force_login(agent)
    response = client.post(reverse("problems:case-link", args=[case.pk]), {"problem": problem.pk})
    assert response.status_code == 302
    assert problem.links.filter(case=case).exists()
    event = case.events.get(kind="problem")
    assert (event.actor, event.after["id"]) == (agent, problem.pk)
    # Taken off again, from the same panel.
    client.post(
        reverse("problems:unlink", args=[problem.pk, case.pk]),
        {"next": reverse("case-detail", args=[case.pk])},
    )
    assert not problem.links.exists()
    assert case.events.filter(kind="problem").count() == 2


def test_another_teams_case_or_problem_is_not_found(
    client, agent, team, other_team, problem, billing_cause
):
    theirs = CaseFactory(team=other_team)
    client.force_login(agent)
    assert client.get(reverse("problems:case-panel", args=[theirs.pk])).status_code == 404
    response = client.post(reverse("problems:case-link", args=[theirs.pk]), {"problem": problem.pk})
    assert response.status_code == 404
    hidden = Problem.objects.create(title="Hidden", root_cause=billing_cause, owner_team=other_team)
    mine = CaseFactory(team=team)
    response = client.post(reverse("problems:case-link", args=[mine.pk]), {"problem": hidden.pk})
    assert response.status_code == 404
    assert not hidden.links.exists()


def test_a_signed_out_poll_is_401(client, team):
    case = CaseFactory(team=team)
    response = client.get(reverse("problems:case-panel", args=[case.pk]), HTTP_HX_REQUEST="true")
    assert response.status_code == 401
