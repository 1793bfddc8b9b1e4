"""The NPS question goes to contacts with a recently solved case, once per contact per
interval, in batches of the configured size, on the channel of their latest solved case —
and never twice, however often the batch runs."""

from datetime import timedelta

import pytest
from django.core import mail

from apps.feedback import links, services, tasks
from apps.feedback.models import Survey, SurveyOptOut

from .conftest import SOLVED_AT

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def nps_only(settings):
    """CSAT off: these cases' own surveys would count as "surveyed recently"."""
    settings.CXDESK_CSAT_ENABLED = False
    settings.CXDESK_NPS_ENABLED = True
    settings.CXDESK_NPS_BATCH_SIZE = 50


def _nps_mail():
    return [m for m in mail.outbox if "recommend us" in m.body]


def test_a_contact_with_a_recent_solved_case_is_asked_on_its_thread(clock, make_case, committed):
    case = make_case()
    mail.outbox.clear()
    clock.move_to(SOLVED_AT + timedelta(days=3))
    assert committed(tasks.send_nps_batch) == 1
    survey = Survey.objects.get(kind="nps")
    assert (survey.state, survey.case_id, survey.contact_id, survey.nps_round) == (
        "sent",
        case.pk,
        case.requester_id,
        1,
    )
    assert (survey.channel, survey.scale, survey.team_id) == ("email", "nps", case.team_id)
    [message] = _nps_mail()
    assert links.survey_url(survey.pk) in message.body
    assert links.opt_out_url(survey.pk) in message.body
    assert message.extra_headers["In-Reply-To"]  # in the case's thread


def test_the_latest_solved_case_carries_it(clock, make_case, committed):
    first = make_case()
    clock.move_to(SOLVED_AT + timedelta(days=2))
    second = make_case(contact=first.requester, channel="email")
    clock.move_to(SOLVED_AT + timedelta(days=3))
    committed(tasks.send_nps_batch)
    assert Survey.objects.get(kind="nps").case_id == second.pk


def test_no_case_solved_within_the_recent_days_no_question(clock, make_case, committed, settings):
    make_case()
    clock.move_to(SOLVED_AT + timedelta(days=settings.CXDESK_NPS_RECENT_DAYS, minutes=1))
    assert committed(tasks.send_nps_batch) == 0
    assert not Survey.objects.filter(kind="nps").exists()


def test_once_per_contact_per_interval(clock, make_case, committed, settings):
    settings.CXDESK_NPS_RECENT_DAYS = 365
    case = make_case()
    clock.move_to(SOLVED_AT + timedelta(days=1))
    assert committed(tasks.send_nps_batch) == 1
    clock.move_to(SOLVED_AT + timedelta(days=1 + settings.CXDESK_NPS_INTERVAL_DAYS - 1))
    assert committed(tasks.send_nps_batch) == 0
    clock.move_to(SOLVED_AT + timedelta(days=1 + settings.CXDESK_NPS_INTERVAL_DAYS, minutes=1))
    assert committed(tasks.send_nps_batch) == 1
    rounds = list(
        Survey.objects.filter(kind="nps", contact=case.requester)
        .order_by("nps_round")
        .values_list("nps_round", "state")
    )
    assert rounds == [(1, "sent"), (2, "sent")]


def test_batches_are_of_the_configured_size_lowest_contact_first(
    clock, make_case, committed, settings
):
    settings.CXDESK_NPS_BATCH_SIZE = 2
    cases = [make_case() for _ in range(5)]
    clock.move_to(SOLVED_AT + timedelta(days=1))
    assert committed(tasks.send_nps_batch) == 2
    assert committed(tasks.send_nps_batch) == 2
    assert committed(tasks.send_nps_batch) == 1
    assert committed(tasks.send_nps_batch) == 0
    asked = sorted(Survey.objects.filter(kind="nps").values_list("contact_id", flat=True))
    assert asked == sorted(c.requester_id for c in cases)
    assert len(_nps_mail()) == 5


def test_a_second_batch_at_the_same_time_asks_nobody_twice(
    clock, make_case, committed, monkeypatch
):
    """Two workers: the second read its candidates before the first committed, so it writes
    the same contact's same round — the unique constraint drops it, and nothing of its own
    is left to send."""
    case = make_case()
    clock.move_to(SOLVED_AT + timedelta(days=1))
    stale = services.nps_candidates(limit=50, now=SOLVED_AT + timedelta(days=1))
    assert stale == [(case.requester_id, case.pk, 1)]
    committed(tasks.send_nps_batch)
    monkeypatch.setattr(services, "nps_candidates", lambda **kwargs: stale)
    assert committed(tasks.send_nps_batch) == 0
    assert Survey.objects.filter(kind="nps").count() == 1
    assert len(_nps_mail()) == 1


def test_a_retried_send_sends_nothing_more(clock, make_case, committed):
    make_case()
    clock.move_to(SOLVED_AT + timedelta(days=1))
    committed(tasks.send_nps_batch)
    survey = Survey.objects.get(kind="nps")
    assert committed(tasks.send_survey, survey.pk) == ""
    assert committed(tasks.send_due_surveys) == 0
    assert committed(tasks.send_nps_batch) == 0
    assert len(_nps_mail()) == 1


def test_opted_out_contacts_are_not_asked(clock, make_case, committed):
    case = make_case()
    SurveyOptOut.objects.create(contact=case.requester, at=SOLVED_AT)
    clock.move_to(SOLVED_AT + timedelta(days=1))
    assert committed(tasks.send_nps_batch) == 0
    assert _nps_mail() == []


def test_a_contact_surveyed_recently_waits(clock, make_case, committed, settings):
    settings.CXDESK_CSAT_ENABLED = True
    case = make_case()
    clock.move_to(SOLVED_AT + timedelta(hours=2))
    committed(tasks.send_due_surveys)  # the case's CSAT goes out
    assert Survey.objects.get(kind="csat", case=case).state == "sent"
    clock.move_to(SOLVED_AT + timedelta(days=settings.CXDESK_SURVEY_CONTACT_COOLDOWN_DAYS - 1))
    assert committed(tasks.send_nps_batch) == 0
    clock.move_to(SOLVED_AT + timedelta(days=settings.CXDESK_SURVEY_CONTACT_COOLDOWN_DAYS + 1))
    assert committed(tasks.send_nps_batch) == 1


def test_a_case_tagged_spam_does_not_count(clock, make_case, committed):
    from apps.cases.models import Tag

    case = make_case()
    case.tags.add(Tag.objects.get_or_create(name="spam")[0])
    clock.move_to(SOLVED_AT + timedelta(days=1))
    assert committed(tasks.send_nps_batch) == 0


def test_an_opt_out_between_batch_and_send_suppresses_it(clock, make_case, committed):
    case = make_case()
    now = SOLVED_AT + timedelta(days=1)
    clock.move_to(now)
    ids = services.nps_surveys_schedule(now=now)  # not committed: no send yet
    SurveyOptOut.objects.create(contact=case.requester, at=now)
    survey = committed(services.survey_send, survey_id=ids[0], now=now)
    assert (survey.state, survey.reason) == ("suppressed", "opted_out")
    assert _nps_mail() == []


def test_off_asks_nobody(clock, make_case, committed, settings):
    settings.CXDESK_NPS_ENABLED = False
    make_case()
    clock.move_to(SOLVED_AT + timedelta(days=1))
    assert committed(tasks.send_nps_batch) == 0


def test_the_batch_query_count_is_constant(
    clock, make_case, committed, settings, django_assert_max_num_queries
):
    settings.CXDESK_NPS_BATCH_SIZE = 10
    for _ in range(4):
        make_case()
    clock.move_to(SOLVED_AT + timedelta(days=1))
    with django_assert_max_num_queries(5):
        ids = services.nps_surveys_schedule()
    assert len(ids) == 4


def test_beat_runs_the_batch(settings):
    from cxdesk.celery import app

    entry = settings.CELERY_BEAT_SCHEDULE["send-nps-surveys"]
    assert entry["task"] == tasks.send_nps_batch.name
    assert entry["task"] in app.tasks


def test_a_closed_case_carries_it_too(clock, make_case, committed):
    from apps.cases.models import Case

    case = make_case()
    Case.objects.filter(pk=case.pk).update(status=Case.Status.CLOSED)
    clock.move_to(SOLVED_AT + timedelta(days=10))
    assert committed(tasks.send_nps_batch) == 1
    survey = Survey.objects.get(kind="nps")
    assert (survey.state, survey.case_id) == ("sent", case.pk)
    case.refresh_from_db()
    assert case.status == Case.Status.CLOSED  # asking changes nothing on the case
    assert len(_nps_mail()) == 1
