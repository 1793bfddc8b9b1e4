"""Solving a case schedules its one satisfaction survey, in the same transaction."""

from datetime import timedelta

import pytest

from apps.cases import services as case_services
from apps.feedback.models import Survey

from .conftest import SOLVED_AT

pytestmark = pytest.mark.django_db


def test_solving_schedules_one_survey_after_the_delay(clock, make_case, settings):
    settings.CXDESK_CSAT_DELAY_MINUTES = 90
    case = make_case()
    survey = Survey.objects.get(case=case)
    assert survey.state == Survey.State.SCHEDULED
    assert survey.contact_id == case.requester_id
    assert survey.due_at == SOLVED_AT + timedelta(minutes=90)
    assert survey.kind == Survey.Kind.CSAT


def test_an_unsolved_case_has_none(clock, make_case):
    make_case(solved=False)
    assert not Survey.objects.exists()


def test_solved_twice_still_one(clock, make_case, agent):
    case = make_case()
    case_services.case_reopen(case_id=case.pk, actor=agent)
    case_services.case_transition(case_id=case.pk, to="solved", actor=agent)
    assert Survey.objects.filter(case=case).count() == 1


def test_rolled_back_solve_schedules_nothing(clock, make_case, agent):
    from django.db import transaction

    case = make_case(solved=False)

    def solve_then_fail():
        with transaction.atomic():
            case_services.case_transition(case_id=case.pk, to="solved", actor=agent)
            assert Survey.objects.filter(case=case).exists()  # written in the transaction
            raise RuntimeError("the solve fails after the hook ran")

    with pytest.raises(RuntimeError):
        solve_then_fail()
    assert not Survey.objects.exists()


def test_reopened_then_solved_again_is_rescheduled_from_the_new_solve(clock, make_case, agent):
    from apps.feedback import services

    case = make_case()
    case_services.case_reopen(case_id=case.pk, actor=agent)
    clock.move_to(SOLVED_AT + timedelta(hours=2))
    assert services.survey_send(survey_id=Survey.objects.get().pk).state == "cancelled"
    case_services.case_transition(case_id=case.pk, to="solved", actor=agent)
    survey = Survey.objects.get()
    assert survey.state == Survey.State.SCHEDULED
    assert survey.due_at == SOLVED_AT + timedelta(hours=2, minutes=60)


def test_switched_off(clock, make_case, settings):
    settings.CXDESK_CSAT_ENABLED = False
    make_case()
    assert not Survey.objects.exists()


def test_scale_is_the_setting_at_solve_time(clock, make_case, settings):
    settings.CXDESK_CSAT_SCALE = "five"
    case = make_case()
    assert Survey.objects.get(case=case).scale == Survey.Scale.FIVE
