"""An NPS answer shows in the customer's feedback as "NPS n / 10"; the case's own line stays
about its satisfaction survey even when the NPS question rode on the same case."""

from datetime import timedelta

import pytest
from django.urls import reverse

from apps.feedback import services, tasks
from apps.feedback.models import Survey

from .conftest import SOLVED_AT

pytestmark = pytest.mark.django_db


def test_the_nps_answer_is_listed_and_the_case_line_is_its_csat(
    client, clock, committed, make_case, supervisor, settings
):
    settings.CXDESK_SURVEY_CONTACT_COOLDOWN_DAYS = 0  # NPS right after the CSAT
    case = make_case()
    clock.move_to(SOLVED_AT + timedelta(hours=2))
    committed(tasks.send_due_surveys)
    csat = Survey.objects.get(case=case, kind="csat")
    clock.move_to(SOLVED_AT + timedelta(days=1))
    committed(tasks.send_nps_batch)
    nps = Survey.objects.get(case=case, kind="nps")
    committed(services.survey_answer, survey_id=nps.pk, rating=8, comment="Fine")
    client.force_login(supervisor)
    html = client.get(reverse("feedback:case-panel", args=[case.pk])).content.decode()
    assert "NPS 8 / 10" in html
    assert f"Survey sent {csat.sent_at:%-d %b}" in html  # the CSAT, not answered
    assert "open follow-up" not in html  # a passive opens none
