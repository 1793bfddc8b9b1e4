"""The rules that stop a survey, each recorded as the reason on the row."""

from datetime import timedelta

import pytest

from apps.cases import services as case_services
from apps.feedback import services, tasks
from apps.feedback.models import Survey, SurveyOptOut
from apps.mail.models import InboundEmail

from .conftest import SOLVED_AT

pytestmark = pytest.mark.django_db

LATER = SOLVED_AT + timedelta(hours=1, minutes=1)


def _send_and_get(clock, committed, case) -> Survey:
    clock.move_to(LATER)
    committed(tasks.send_due_surveys)
    return Survey.objects.get(case=case)


def test_merged_after_solve_is_suppressed(clock, committed, make_case, agent):
    case = make_case()
    target = make_case(solved=False)
    committed(case_services.case_merge, source_id=case.pk, target_id=target.pk, actor=agent)
    survey = _send_and_get(clock, committed, case)
    assert (survey.state, survey.reason) == (Survey.State.SUPPRESSED, "merged")


def test_spam_tag(clock, committed, make_case, agent):
    case = make_case()
    committed(case_services.case_set_tags, case_id=case.pk, tags=["Spam"], actor=agent)
    survey = _send_and_get(clock, committed, case)
    assert (survey.state, survey.reason) == (Survey.State.SUPPRESSED, "skip_tag")


def test_solved_without_an_agent_reply(clock, committed, make_case):
    case = make_case(answered=False)
    survey = _send_and_get(clock, committed, case)
    assert (survey.state, survey.reason) == (Survey.State.SUPPRESSED, "no_agent_response")


def test_an_internal_note_is_no_answer(clock, committed, make_case, agent):
    case = make_case(answered=False, solved=False)
    committed(case_services.case_note, case_id=case.pk, agent=agent, body_text="checked")
    committed(case_services.case_transition, case_id=case.pk, to="solved", actor=agent)
    survey = _send_and_get(clock, committed, case)
    assert survey.reason == "no_agent_response"


@pytest.mark.parametrize("flag", ["is_auto_reply", "is_bounce"])
def test_auto_reply_or_bounce_on_the_case(clock, committed, make_case, flag):
    case = make_case()
    InboundEmail.objects.create(
        source="imap", raw=b"x", raw_sha256="0" * 64, case=case, **{flag: True}
    )
    survey = _send_and_get(clock, committed, case)
    assert (survey.state, survey.reason) == (Survey.State.SUPPRESSED, "auto_reply_or_bounce")


def test_opted_out_contact(clock, committed, make_case):
    case = make_case()
    SurveyOptOut.objects.create(contact=case.requester, at=SOLVED_AT)
    survey = _send_and_get(clock, committed, case)
    assert (survey.state, survey.reason) == (Survey.State.SUPPRESSED, "opted_out")


def test_one_survey_per_contact_per_cooldown(clock, committed, make_case, settings):
    settings.CXDESK_SURVEY_CONTACT_COOLDOWN_DAYS = 30
    first = make_case()
    assert _send_and_get(clock, committed, first).state == Survey.State.SENT

    clock.move_to(SOLVED_AT + timedelta(days=29))
    second = make_case(contact=first.requester)
    clock.move_to(SOLVED_AT + timedelta(days=29, hours=2))
    committed(tasks.send_due_surveys)
    survey = Survey.objects.get(case=second)
    assert (survey.state, survey.reason) == (Survey.State.SUPPRESSED, "recently_surveyed")

    clock.move_to(SOLVED_AT + timedelta(days=31))
    third = make_case(contact=first.requester)
    clock.move_to(SOLVED_AT + timedelta(days=31, hours=2))
    committed(tasks.send_due_surveys)
    assert Survey.objects.get(case=third).state == Survey.State.SENT


def test_a_suppressed_survey_is_decided_once(clock, committed, make_case):
    case = make_case(answered=False)
    survey = _send_and_get(clock, committed, case)
    assert committed(services.survey_send, survey_id=survey.pk) is None
