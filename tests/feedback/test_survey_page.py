"""The customer's survey page: signed link, one rating, comment editable for a day, expiry,
opt-out — public, no login, nothing loaded from elsewhere."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse

from apps.feedback import links, tasks
from apps.feedback.models import FollowUp, Survey, SurveyOptOut

from .conftest import SOLVED_AT

pytestmark = pytest.mark.django_db

LATER = SOLVED_AT + timedelta(hours=1, minutes=1)


@pytest.fixture
def sent(clock, committed, make_case):
    case = make_case()
    clock.move_to(LATER)
    committed(tasks.send_due_surveys)
    survey = Survey.objects.get(case=case)
    assert survey.state == Survey.State.SENT
    return survey


def _path(survey):
    return reverse("feedback:survey", args=[links.token_for(survey.pk)])


def test_the_page_asks_and_a_link_choice_is_preselected_not_recorded(client, sent):
    response = client.get(_path(sent) + "?rating=bad")
    assert response.status_code == 200
    html = response.content.decode()
    assert "How did we do?" in html
    assert sent.case.reference in html
    assert re.search(r'value="0" required checked', html)
    assert "How easy was it" in html  # CES asked
    sent.refresh_from_db()
    assert sent.state == Survey.State.SENT
    assert sent.rating is None


def test_no_external_request_and_fits_a_phone(client, sent):
    html = client.get(_path(sent)).content.decode()
    for url in re.findall(r'(?:src|href)="([^"]+)"', html):
        assert not url.startswith(("http:", "https:", "//")), url
    assert 'name="viewport"' in html


def test_answering_records_once(client, sent, clock):
    response = client.post(_path(sent), {"rating": "1", "effort": "6", "comment": "Quick!"})
    assert response.status_code == 302
    sent.refresh_from_db()
    assert (sent.state, sent.rating, sent.satisfied, sent.effort, sent.comment) == (
        "answered",
        1,
        True,
        6,
        "Quick!",
    )
    assert sent.answered_at == LATER
    page = client.get(response["Location"]).content.decode()
    assert "Thank you for your answer" in page

    # The same link again: the recorded answer; a different rating does not change it.
    client.post(_path(sent), {"rating": "0", "comment": "Changed my mind"})
    sent.refresh_from_db()
    assert (sent.rating, sent.satisfied, sent.comment) == (1, True, "Changed my mind")
    assert not FollowUp.objects.exists()


def test_comment_locked_after_the_edit_window(client, sent, clock, settings):
    settings.CXDESK_SURVEY_COMMENT_EDIT_HOURS = 24
    client.post(_path(sent), {"rating": "0", "comment": "Slow"})
    clock.move_to(LATER + timedelta(hours=25))
    response = client.post(_path(sent), {"rating": "0", "comment": "Rewritten"})
    assert response.status_code == 409
    sent.refresh_from_db()
    assert sent.comment == "Slow"
    page = client.get(_path(sent)).content.decode()
    assert "Slow" in page
    assert "<textarea" not in page


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"rating": "7"},
        {"rating": "x"},
        {"rating": "1", "effort": "9"},
        {"rating": "1", "comment": "x" * 5001},
    ],
)
def test_bad_answers_are_a_400_with_the_form(client, sent, data):
    response = client.post(_path(sent), data)
    assert response.status_code == 400
    assert "form-error" in response.content.decode()
    sent.refresh_from_db()
    assert sent.state == Survey.State.SENT


def test_tampered_link_is_a_400(client, sent):
    token = links.token_for(sent.pk)
    for bad in (token[:-2] + "xx", token.replace(":", "", 1), "nonsense", links.token_for(0)):
        response = client.get(f"/feedback/s/{bad}/")
        assert response.status_code == 400, bad
        assert "This link does not work" in response.content.decode()
    assert client.post(f"/feedback/s/{token[:-1]}z/", {"rating": "1"}).status_code == 400
    sent.refresh_from_db()
    assert sent.rating is None


def test_a_link_for_a_survey_not_sent_is_a_404(client, clock, make_case):
    case = make_case()  # scheduled, not sent
    survey = Survey.objects.get(case=case)
    assert client.get(_path(survey)).status_code == 404


def test_expired_link_says_so(client, sent, clock):
    clock.move_to(sent.expires_at + timedelta(seconds=1))
    response = client.get(_path(sent))
    assert response.status_code == 410
    assert "This survey has expired" in response.content.decode()
    response = client.post(_path(sent), {"rating": "1"})
    assert response.status_code == 410
    assert "This survey has expired" in response.content.decode()
    sent.refresh_from_db()
    assert sent.rating is None


def test_five_point_scale(client, clock, committed, make_case, settings):
    settings.CXDESK_CSAT_SCALE = "five"
    case = make_case()
    clock.move_to(LATER)
    committed(tasks.send_due_surveys)
    survey = Survey.objects.get(case=case)
    html = client.get(_path(survey) + "?rating=4").content.decode()
    assert html.count('name="rating"') == 5
    assert 'value="4" required checked' in html
    client.post(_path(survey), {"rating": "3"})
    survey.refresh_from_db()
    assert (survey.rating, survey.satisfied) == (3, False)


def test_opt_out_needs_a_post(client, sent):
    path = _path(sent) + "opt-out/"
    response = client.get(path)
    assert response.status_code == 200
    assert not SurveyOptOut.objects.exists()
    response = client.post(path)
    assert "You will get no more surveys" in response.content.decode()
    assert SurveyOptOut.objects.get().contact_id == sent.contact_id
    client.post(path)
    assert SurveyOptOut.objects.count() == 1


def test_ces_off(client, sent, settings):
    settings.CXDESK_CES_ENABLED = False
    assert "How easy was it" not in client.get(_path(sent)).content.decode()
    client.post(_path(sent), {"rating": "1", "effort": "3"})
    sent.refresh_from_db()
    assert sent.effort is None
