"""A bad rating opens exactly one follow-up for the team's supervisors, tracked until
resolved; only supervisors and admins handle them, each their own teams'."""

from datetime import timedelta

import pytest
from django.urls import reverse

from apps.feedback import services, tasks
from apps.feedback.models import FollowUp, Survey
from apps.notifications.models import Notification
from apps.webhooks.models import WebhookDelivery, WebhookSubscription
from tests.factories import SupervisorFactory

from .conftest import SOLVED_AT

pytestmark = pytest.mark.django_db

LATER = SOLVED_AT + timedelta(hours=1, minutes=1)


@pytest.fixture
def answered_bad(clock, committed, make_case, supervisor):
    case = make_case()
    clock.move_to(LATER)
    committed(tasks.send_due_surveys)
    survey = Survey.objects.get(case=case)
    committed(services.survey_answer, survey_id=survey.pk, rating=0, comment="Nobody listened")
    survey.refresh_from_db()
    return survey


def test_bad_rating_opens_one_follow_up_and_tells_the_supervisors(
    answered_bad, supervisor, other_team, committed
):
    SupervisorFactory(username="elsewhere", teams=[other_team])
    follow_up = FollowUp.objects.get()
    assert follow_up.survey == answered_bad
    assert (follow_up.case_id, follow_up.team_id, follow_up.state) == (
        answered_bad.case_id,
        answered_bad.team_id,
        "open",
    )
    notes = Notification.objects.filter(kind=Notification.Kind.BAD_RATING)
    assert [n.recipient for n in notes] == [supervisor]
    assert "Nobody listened" in notes.get().text
    # Editing the comment opens nothing more.
    committed(services.survey_answer, survey_id=answered_bad.pk, rating=0, comment="Still bad")
    assert FollowUp.objects.count() == 1
    assert notes.count() == 1


def test_good_rating_opens_none(clock, committed, make_case):
    case = make_case()
    clock.move_to(LATER)
    committed(tasks.send_due_surveys)
    committed(services.survey_answer, survey_id=Survey.objects.get(case=case).pk, rating=1)
    assert not FollowUp.objects.exists()


def test_answer_is_sent_to_webhooks(clock, committed, make_case, admin_user):
    WebhookSubscription.objects.create(
        owner=admin_user, url="https://hooks.example/x", events=["survey.answered"], secret="s" * 32
    )
    case = make_case()
    clock.move_to(LATER)
    committed(tasks.send_due_surveys)
    survey = Survey.objects.get(case=case)
    committed(services.survey_answer, survey_id=survey.pk, rating=0, comment="meh")
    delivery = WebhookDelivery.objects.get(event="survey.answered")
    assert delivery.payload["data"]["survey"]["rating"] == 0
    assert delivery.payload["data"]["survey"]["case"] == case.pk


def test_the_supervisor_works_the_follow_up_to_resolved(client, answered_bad, supervisor, clock):
    client.force_login(supervisor)
    page = client.get(reverse("feedback:follow-ups"))
    assert page.status_code == 200
    html = page.content.decode()
    assert answered_bad.case.reference in html
    assert "Nobody listened" in html
    follow_up = FollowUp.objects.get()
    url = reverse("feedback:follow-up-advance", args=[follow_up.pk])

    clock.move_to(LATER + timedelta(hours=2))
    client.post(url, {"to": "contacted", "note": "Called, apologised"})
    clock.move_to(LATER + timedelta(hours=3))
    client.post(url, {"to": "resolved"})
    follow_up.refresh_from_db()
    assert follow_up.state == "resolved"
    assert follow_up.contacted_at == LATER + timedelta(hours=2)
    assert follow_up.resolved_at - follow_up.opened_at == timedelta(hours=3)
    assert follow_up.contacted_by == follow_up.resolved_by == supervisor
    assert follow_up.note == "Called, apologised"

    # Back to contacted is refused, with a message, not an error page.
    response = client.post(url, {"to": "contacted"}, follow=True)
    assert response.status_code == 200
    assert "cannot become contacted" in response.content.decode()


def test_an_agent_gets_403(client, answered_bad, agent):
    client.force_login(agent)
    assert client.get(reverse("feedback:follow-ups")).status_code == 403
    follow_up = FollowUp.objects.get()
    url = reverse("feedback:follow-up-advance", args=[follow_up.pk])
    assert client.post(url, {"to": "resolved"}).status_code == 403


def test_another_teams_supervisor_sees_nothing_and_gets_404(client, answered_bad, other_team):
    stranger = SupervisorFactory(username="stranger", teams=[other_team])
    client.force_login(stranger)
    html = client.get(reverse("feedback:follow-ups")).content.decode()
    assert answered_bad.case.reference not in html
    follow_up = FollowUp.objects.get()
    url = reverse("feedback:follow-up-advance", args=[follow_up.pk])
    assert client.post(url, {"to": "resolved"}).status_code == 404
    follow_up.refresh_from_db()
    assert follow_up.state == "open"


def test_signed_out_is_sent_to_login(client, answered_bad):
    response = client.get(reverse("feedback:follow-ups"))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_next_cannot_leave_the_site(client, answered_bad, supervisor):
    client.force_login(supervisor)
    follow_up = FollowUp.objects.get()
    url = reverse("feedback:follow-up-advance", args=[follow_up.pk])
    response = client.post(url, {"to": "contacted", "next": "https://evil.example/"})
    assert response["Location"] == reverse("feedback:follow-ups")


def test_list_query_count_is_constant(
    client, clock, committed, make_case, supervisor, django_assert_max_num_queries
):
    for _ in range(3):
        make_case()
    clock.move_to(LATER)
    committed(tasks.send_due_surveys)
    client.force_login(supervisor)

    def answer_all():
        for survey in Survey.objects.filter(state="sent"):
            committed(services.survey_answer, survey_id=survey.pk, rating=0, comment="bad")

    answer_all()
    with django_assert_max_num_queries(12) as few:
        client.get(reverse("feedback:follow-ups"))
    for _ in range(6):
        make_case()
    clock.move_to(LATER + timedelta(hours=2))
    committed(tasks.send_due_surveys)
    answer_all()
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("feedback:follow-ups"))
    assert FollowUp.objects.count() == 9
