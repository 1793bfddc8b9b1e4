"""The NPS page: the same signed link as CSAT, a 0–10 radio group, an optional comment; a
tampered link is a 400, an expired one says so, a reused one shows the recorded answer."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse

from apps.feedback import links, tasks
from apps.feedback.models import FollowUp, Survey

from .conftest import SOLVED_AT

pytestmark = pytest.mark.django_db

ASKED = SOLVED_AT + timedelta(days=1)


@pytest.fixture
def nps(clock, committed, make_case, settings):
    settings.CXDESK_CSAT_ENABLED = False
    make_case()
    clock.move_to(ASKED)
    committed(tasks.send_nps_batch)
    survey = Survey.objects.get(kind="nps")
    assert survey.state == "sent"
    return survey


def _path(survey):
    return reverse("feedback:survey", args=[links.token_for(survey.pk)])


def test_the_page_asks_0_to_10_in_one_labelled_group(client, nps):
    html = client.get(_path(nps) + "?rating=8").content.decode()
    assert "How likely are you to recommend us" in html
    [fieldset] = re.findall(r"<fieldset class=\"nps\".*?</fieldset>", html, re.S)
    assert "<legend>" in fieldset
    values = re.findall(r'type="radio" name="rating" value="(\d+)"', fieldset)
    assert values == [str(n) for n in range(11)]
    assert re.search(r'value="8" required aria-label="8" checked', html)  # preselected only
    assert "How easy was it" not in html  # no CES on NPS
    assert 'name="viewport"' in html
    for url in re.findall(r'(?:src|href)="([^"]+)"', html):
        assert not url.startswith(("http:", "https:", "//")), url
    nps.refresh_from_db()
    assert nps.rating is None


@pytest.mark.parametrize(
    ("rating", "satisfied", "follow_ups"),
    [
        ("10", True, 0),
        ("9", True, 0),
        ("8", None, 0),
        ("7", None, 0),
        ("6", False, 1),
        ("0", False, 1),
    ],
)
def test_answer_records_promoter_passive_or_detractor(
    client, nps, committed, rating, satisfied, follow_ups
):
    response = committed(client.post, _path(nps), {"rating": rating, "comment": ""})
    assert response.status_code == 302
    nps.refresh_from_db()
    assert (nps.state, nps.rating, nps.satisfied) == ("answered", int(rating), satisfied)
    assert FollowUp.objects.count() == follow_ups


@pytest.mark.parametrize("rating", ["11", "-1", "x", ""])
def test_out_of_scale_is_a_400(client, nps, rating):
    response = client.post(_path(nps), {"rating": rating})
    assert response.status_code == 400
    nps.refresh_from_db()
    assert nps.state == "sent"


def test_tampered_link_is_a_400(client, nps):
    token = links.token_for(nps.pk)
    assert client.get(f"/feedback/s/{token[:-2]}xx/").status_code == 400
    assert client.post(f"/feedback/s/{token}x/", {"rating": "3"}).status_code == 400
    nps.refresh_from_db()
    assert nps.rating is None


def test_expired_link_says_so(client, nps, clock, settings):
    clock.move_to(ASKED + timedelta(days=settings.CXDESK_SURVEY_EXPIRY_DAYS, seconds=1))
    response = client.get(_path(nps))
    assert response.status_code == 410
    assert "This survey has expired" in response.content.decode()
    assert client.post(_path(nps), {"rating": "10"}).status_code == 410
    nps.refresh_from_db()
    assert nps.rating is None


def test_reused_link_shows_the_recorded_answer(client, nps, committed):
    committed(client.post, _path(nps), {"rating": "3", "comment": "Too slow"})
    # The link again: the rating is final, the comment editable for the day.
    client.post(_path(nps), {"rating": "10", "comment": "Too slow, twice"})
    nps.refresh_from_db()
    assert (nps.rating, nps.satisfied, nps.comment) == (3, False, "Too slow, twice")
    html = client.get(_path(nps)).content.decode()
    assert "<strong>3</strong>" in html
    assert FollowUp.objects.count() == 1
