"""The case page's feedback panel (loaded by htmx once the page is shown) and the customer
360 show the customer's ratings, this case's survey and
open follow-ups — only what the user may see."""

from datetime import timedelta

import pytest
from django.urls import reverse

from apps.feedback import services, tasks
from apps.feedback.models import Survey
from tests.factories import AgentFactory

from .conftest import SOLVED_AT

pytestmark = pytest.mark.django_db

LATER = SOLVED_AT + timedelta(hours=1, minutes=1)


@pytest.fixture
def rated_bad(clock, committed, make_case):
    case = make_case()
    clock.move_to(LATER)
    committed(tasks.send_due_surveys)
    survey = Survey.objects.get(case=case)
    committed(services.survey_answer, survey_id=survey.pk, rating=0, comment="Took a week")
    return case


def test_case_page_shows_the_rating_and_the_open_follow_up(client, rated_bad, supervisor):
    client.force_login(supervisor)
    html = client.get(reverse("feedback:case-panel", args=[rated_bad.pk])).content.decode()
    assert "This case was rated" in html
    assert "rating-bad" in html
    assert "Took a week" in html
    assert "1 open follow-up" in html
    assert reverse("feedback:follow-ups") in html


def test_an_agent_sees_it_without_the_supervisors_link(client, rated_bad, agent):
    client.force_login(agent)
    html = client.get(reverse("feedback:case-panel", args=[rated_bad.pk])).content.decode()
    assert "Took a week" in html
    assert reverse("feedback:follow-ups") not in html


def test_scheduled_survey_is_shown_on_the_case(client, clock, make_case, agent):
    case = make_case()
    client.force_login(agent)
    html = client.get(reverse("feedback:case-panel", args=[case.pk])).content.decode()
    assert "Survey due" in html


def test_suppressed_survey_says_why(client, clock, committed, make_case, agent):
    case = make_case(answered=False)
    clock.move_to(LATER)
    committed(tasks.send_due_surveys)
    client.force_login(agent)
    html = client.get(reverse("feedback:case-panel", args=[case.pk])).content.decode()
    assert (
        "solved without an agent&#x27;s reply" in html or "solved without an agent's reply" in html
    )


def test_customer_360_shows_answers(client, rated_bad, agent):
    client.force_login(agent)
    html = client.get(reverse("contact-detail", args=[rated_bad.requester_id])).content.decode()
    assert "Took a week" in html
    assert rated_bad.reference in html


def test_another_teams_rating_of_the_same_customer_is_hidden(
    client, clock, committed, make_case, rated_bad, other_team
):
    stranger = AgentFactory(username="stranger", teams=[other_team])
    mine = make_case(contact=rated_bad.requester, team_=other_team, solved=False)
    client.force_login(stranger)
    html = client.get(reverse("feedback:case-panel", args=[mine.pk])).content.decode()
    assert "Took a week" not in html
    assert "No rating from this customer yet" in html


def test_the_case_page_loads_the_panel_and_another_teams_case_is_a_404(
    client, rated_bad, agent, other_team
):
    client.force_login(agent)
    page = client.get(reverse("case-detail", args=[rated_bad.pk])).content.decode()
    assert reverse("feedback:case-panel", args=[rated_bad.pk]) in page
    partial = client.get(
        reverse("feedback:case-panel", args=[rated_bad.pk]), headers={"HX-Request": "true"}
    ).content.decode()
    assert "<html" not in partial
    assert "Took a week" in partial
    client.force_login(AgentFactory(username="outsider", teams=[other_team]))
    assert client.get(reverse("feedback:case-panel", args=[rated_bad.pk])).status_code == 404
    client.logout()
    response = client.get(reverse("feedback:case-panel", args=[rated_bad.pk]))
    assert response.status_code == 302
