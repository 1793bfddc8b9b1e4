"""The follow-ups list is paged by a keyset (newest first), never cut off at a page's size:
every follow-up is reachable, none twice; a forged cursor is a 400."""

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from apps.feedback import selectors
from apps.feedback.models import FollowUp, Survey
from tests.factories import CaseFactory

pytestmark = pytest.mark.django_db

OPENED = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)


def _follow_up(team, opened_at):
    case = CaseFactory(team=team, status="solved")
    survey = Survey.objects.create(
        case=case,
        contact=case.requester,
        state="answered",
        due_at=opened_at,
        sent_at=opened_at,
        channel="email",
        team=team,
        rating=0,
        satisfied=False,
        answered_at=opened_at,
    )
    return FollowUp.objects.create(
        survey=survey, case=case, contact=case.requester, team=team, opened_at=opened_at
    )


def test_every_follow_up_is_reached_page_by_page(client, supervisor, team, monkeypatch):
    monkeypatch.setattr(selectors, "FOLLOW_UP_PAGE", 2)
    # Five, two of them opened at the same instant (the id breaks the tie).
    made = [_follow_up(team, OPENED + timedelta(minutes=m)) for m in (0, 5, 5, 9, 12)]
    client.force_login(supervisor)
    seen, url, pages = [], reverse("feedback:follow-ups"), 0
    query = {"state": "open"}
    while True:
        response = client.get(url, query)
        assert response.status_code == 200
        page = list(response.context["follow_ups"])
        assert len(page) <= 2
        seen += [f.pk for f in page]
        pages += 1
        if not response.context["next_cursor"]:
            break
        assert 'rel="next"' in response.content.decode()
        query = {"state": "open", "after": response.context["next_cursor"]}
    assert pages == 3
    expected = sorted(made, key=lambda f: (f.opened_at, f.pk), reverse=True)
    assert seen == [f.pk for f in expected]


@pytest.mark.parametrize("cursor", ["nonsense", "2026-11-02T10:00:00~x", "2026-11-02T10:00:00~3"])
def test_a_forged_cursor_is_400(client, supervisor, cursor):
    client.force_login(supervisor)
    response = client.get(reverse("feedback:follow-ups"), {"after": cursor})
    assert response.status_code == 400
