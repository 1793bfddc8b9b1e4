"""The problem pages: supervisors create, edit, move and answer; agents read and list
cases; another team's problem is a 404; the list and the detail keep a constant number of
queries; bad input is the form again with a 4xx."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.cases.models import Case
from apps.problems import services
from apps.problems.models import Problem
from tests.factories import CaseFactory

pytestmark = pytest.mark.django_db


def test_a_supervisor_creates_a_problem_from_the_form(client, supervisor, billing_cause, team):
    client.force_login(supervisor)
    assert client.get(reverse("problems:create")).status_code == 200
    response = client.post(
        reverse("problems:create"),
        {
            "title": "Renewal charged twice",
            "root_cause": billing_cause.pk,
            "owner_team": team.pk,
            "tracker_url": "https://tracker.example/BILL-12",
        },
    )
    problem = Problem.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("problems:detail", args=[problem.pk])
    assert (problem.owner_team, problem.created_by) == (team, supervisor)
    page = client.get(response["Location"]).content.decode()
    assert "Renewal charged twice" in page
    assert "https://tracker.example/BILL-12" in page


def test_a_bad_tracker_link_is_the_form_again_with_its_error(client, supervisor, billing_cause):
    client.force_login(supervisor)
    response = client.post(
        reverse("problems:create"),
        {"title": "T", "root_cause": billing_cause.pk, "tracker_url": "javascript:alert(1)"},
    )
    assert response.status_code == 400
    assert "http:// or https://" in response.content.decode()
    assert not Problem.objects.exists()
    assert client.post(reverse("problems:create"), {"title": ""}).status_code == 400


def test_agents_read_but_do_not_manage(client, agent, problem):
    client.force_login(agent)
    assert client.get(reverse("problems:list")).status_code == 200
    page = client.get(reverse("problems:detail", args=[problem.pk]))
    assert page.status_code == 200
    assert "Change status" not in page.content.decode()
    assert client.get(reverse("problems:create")).status_code == 403
    assert client.get(reverse("problems:edit", args=[problem.pk])).status_code == 403
    status = client.post(reverse("problems:status", args=[problem.pk]), {"to": "investigating"})
    assert status.status_code == 403
    answer = client.post(reverse("problems:answer", args=[problem.pk]), {"body": "Hi"})
    assert answer.status_code == 403


def test_another_teams_problem_is_not_found(client, agent, supervisor, billing_cause, other_team):
    hidden = Problem.objects.create(title="Hidden", root_cause=billing_cause, owner_team=other_team)
    for user in (agent, supervisor):
        client.force_login(user)
        for name in ("problems:detail", "problems:edit", "problems:progress"):
            assert client.get(reverse(name, args=[hidden.pk])).status_code == 404, name
        status = client.post(reverse("problems:status", args=[hidden.pk]), {"to": "investigating"})
        assert status.status_code == 404
    assert "Hidden" not in client.get(reverse("problems:list")).content.decode()


def test_the_status_form_moves_it_and_refuses_fixed_without_a_date(client, supervisor, problem):
    client.force_login(supervisor)
    url = reverse("problems:status", args=[problem.pk])
    assert client.post(url, {"to": "investigating"}).status_code == 302
    assert client.post(url, {"to": "fix_in_progress"}).status_code == 302
    refused = client.post(url, {"to": "fixed"})
    assert refused.status_code == 400
    assert "fix shipped" in refused.content.decode()
    not_allowed = client.post(url, {"to": "verified"})  # not offered from fix in progress
    assert not_allowed.status_code == 400
    yesterday = (timezone.localdate() - datetime.timedelta(days=1)).isoformat()
    assert client.post(url, {"to": "fixed", "fix_date": yesterday}).status_code == 302
    problem.refresh_from_db()
    assert problem.status == "fixed"


def test_the_answer_form_starts_the_run_and_the_page_shows_the_counts(
    client, supervisor, fixed, team, senders, django_capture_on_commit_callbacks
):
    cases = [CaseFactory(team=team, channel="social", status=Case.Status.OPEN) for _ in range(2)]
    services.problem_link_cases(
        problem_id=fixed.pk, case_ids=[c.pk for c in cases], actor=supervisor
    )
    client.force_login(supervisor)
    page = client.get(reverse("problems:detail", args=[fixed.pk])).content.decode()
    assert "Answer 2 cases and solve them" in page
    bad = client.post(reverse("problems:answer", args=[fixed.pk]), {"body": "Hi {case.nope}"})
    assert bad.status_code == 400
    assert "Unknown placeholders" in bad.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        started = client.post(reverse("problems:answer", args=[fixed.pk]), {"body": "Fixed!"})
    assert started.status_code == 302
    page = client.get(reverse("problems:detail", args=[fixed.pk])).content.decode()
    assert "2 answered" in page
    assert "0 remaining" in page
    assert 'hx-trigger="every 2s"' not in page  # nothing left to poll for


def test_the_progress_is_polled_while_cases_wait(
    client, supervisor, fixed, team, django_capture_on_commit_callbacks
):
    case = CaseFactory(team=team, channel="chat", status=Case.Status.OPEN)
    services.problem_link_cases(problem_id=fixed.pk, case_ids=[case.pk], actor=supervisor)
    with django_capture_on_commit_callbacks(execute=False):
        services.answer_together_start(problem_id=fixed.pk, body="Fixed.", actor=supervisor)
    client.force_login(supervisor)
    html = client.get(reverse("problems:progress", args=[fixed.pk]), HTTP_HX_REQUEST="true")
    assert 'hx-trigger="every 2s"' in html.content.decode()
    assert "1 remaining" in html.content.decode()


def test_the_list_filters_by_status_and_owner_team(
    client, supervisor, problem, billing_cause, team, other_team
):
    theirs = services.problem_create(
        title="Owned elsewhere", root_cause=billing_cause, owner_team=other_team, actor=supervisor
    )
    client.force_login(supervisor)
    both = client.get(reverse("problems:list")).content.decode()
    assert problem.title in both
    assert theirs.title in both  # created by the supervisor
    mine = client.get(reverse("problems:list"), {"owner_team": team.pk}).content.decode()
    assert theirs.title not in mine
    assert problem.title in mine
    assert (
        problem.title
        not in client.get(reverse("problems:list"), {"status": "fixed"}).content.decode()
    )
    assert (
        client.get(reverse("problems:list"), {"status": "bogus", "owner_team": "x"}).status_code
        == 200
    )


def test_the_list_costs_the_same_queries_for_2_or_30_problems(
    client, supervisor, billing_cause, team, django_assert_max_num_queries
):
    for i in range(2):
        Problem.objects.create(title=f"P{i}", root_cause=billing_cause, owner_team=team)
    client.force_login(supervisor)
    with django_assert_max_num_queries(12) as few:
        client.get(reverse("problems:list"))
    for i in range(28):
        Problem.objects.create(title=f"Q{i}", root_cause=billing_cause, owner_team=team)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse("problems:list"))
    assert len(response.context["page"]) == 30


def test_the_detail_costs_the_same_queries_for_2_or_40_cases(
    client, supervisor, fixed, team, django_assert_max_num_queries
):
    def grow(n):
        cases = [CaseFactory(team=team, status=Case.Status.OPEN) for _ in range(n)]
        services.problem_link_cases(
            problem_id=fixed.pk, case_ids=[c.pk for c in cases], actor=supervisor
        )

    grow(2)
    client.force_login(supervisor)
    url = reverse("problems:detail", args=[fixed.pk])
    with django_assert_max_num_queries(25) as few:
        client.get(url)
    for _ in range(19):
        grow(2)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url)
    assert len(response.context["page"]) == 40
