"""An NPS detractor is closed in the loop exactly as a bad CSAT: one follow-up for the team's
supervisors, and a bad-rating reason in the at-risk score (the reasons add up to it)."""

from datetime import timedelta

import pytest

from apps.feedback import services, tasks
from apps.feedback.models import ContactRisk, FollowUp, Survey
from apps.notifications.models import Notification

from .conftest import SOLVED_AT

pytestmark = pytest.mark.django_db


@pytest.fixture
def nps(clock, committed, make_case, settings, supervisor):
    settings.CXDESK_CSAT_ENABLED = False
    make_case()
    clock.move_to(SOLVED_AT + timedelta(days=1))
    committed(tasks.send_nps_batch)
    return Survey.objects.get(kind="nps")


def test_a_detractor_opens_one_follow_up_and_a_risk_reason(nps, committed, supervisor):
    committed(services.survey_answer, survey_id=nps.pk, rating=2, comment="Never again")
    follow_up = FollowUp.objects.get()
    assert (follow_up.survey_id, follow_up.case_id, follow_up.team_id) == (
        nps.pk,
        nps.case_id,
        nps.team_id,
    )
    note = Notification.objects.get(kind=Notification.Kind.BAD_RATING)
    assert note.recipient == supervisor
    assert "would not recommend us (2/10)" in note.text
    risk = ContactRisk.objects.get(contact_id=nps.contact_id)
    assert [r["kind"] for r in risk.reasons] == ["bad_rating"]
    assert risk.score == round(sum(r["points"] for r in risk.reasons), 1) > 0
    # The comment edited: still one.
    committed(services.survey_answer, survey_id=nps.pk, rating=2, comment="Never, ever")
    assert FollowUp.objects.count() == 1
    assert Notification.objects.filter(kind=Notification.Kind.BAD_RATING).count() == 1


@pytest.mark.parametrize("rating", [7, 8, 9, 10])
def test_passives_and_promoters_open_nothing(nps, committed, rating):
    committed(services.survey_answer, survey_id=nps.pk, rating=rating)
    assert not FollowUp.objects.exists()
    assert not ContactRisk.objects.filter(contact_id=nps.contact_id, score__gt=0).exists()
