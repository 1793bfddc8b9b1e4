"""Candidates: the cases without a root cause whose best suggestion is weak (or that have
none) are clustered by text; each cluster of enough cases is stored as an open candidate with
its top terms, sample subjects and cases. A second run with the same cases changes nothing;
decided candidates' cases are not proposed again."""

import pytest
from django.conf import settings as django_settings

from apps.core.queue import task_named
from apps.rootcauses import services
from apps.rootcauses.models import RootCauseCandidate, RootCauseSuggestion
from tests.factories import CaseFactory, InteractionFactory
from tests.rootcauses.candidate_data import CRASH, ONE_OFFS, PARCEL

pytestmark = pytest.mark.django_db


def case_with(team, text, *, subject="Help", **fields):
    case = CaseFactory(team=team, subject=subject, **fields)
    InteractionFactory(case=case, direction="in", is_public=True, body_text=text)
    return case


@pytest.fixture
def crash_cases(team):
    return [case_with(team, text, subject=f"Crash {n}") for n, text in enumerate(CRASH)]


@pytest.fixture
def parcel_cases(team):
    return [case_with(team, text, subject=f"Parcel {n}") for n, text in enumerate(PARCEL)]


@pytest.fixture
def one_offs(team):
    return [case_with(team, text) for text in ONE_OFFS]


def suggested(case, cause, score):
    RootCauseSuggestion.objects.create(
        case=case, root_cause=cause, rank=1, score=score, model_version=1, text_digest="x"
    )


def test_each_group_of_similar_unexplained_cases_becomes_a_candidate(
    crash_cases, parcel_cases, one_offs
):
    run = services.candidates_refresh()

    assert (run.pool, run.open, run.created) == (15, 2, 2)
    by_terms = {tuple(c.top_terms[:1]): c for c in RootCauseCandidate.objects.all()}
    crash = next(c for c in by_terms.values() if "statement" in c.top_terms[:4])
    parcel = next(c for c in by_terms.values() if "parcel" in c.top_terms[:4])
    assert set(crash.cases.all()) == set(crash_cases)
    assert set(parcel.cases.all()) == set(parcel_cases)
    assert crash.size == 6
    assert crash.state == RootCauseCandidate.State.OPEN
    assert set(crash.sample_subjects) <= {c.subject for c in crash_cases}
    assert len(crash.sample_subjects) == 5
    assert 0 < crash.cohesion <= 1


def test_a_second_run_with_the_same_cases_changes_nothing(crash_cases, parcel_cases):
    services.candidates_refresh()
    before = {
        c.pk: (c.top_terms, c.sample_subjects, set(c.cases.values_list("pk", flat=True)))
        for c in RootCauseCandidate.objects.all()
    }

    run = services.candidates_refresh()

    after = {
        c.pk: (c.top_terms, c.sample_subjects, set(c.cases.values_list("pk", flat=True)))
        for c in RootCauseCandidate.objects.all()
    }
    assert after == before
    assert (run.created, run.refreshed, run.dropped) == (0, 2, 0)


def test_a_growing_group_keeps_its_candidate(team, crash_cases, parcel_cases):
    services.candidates_refresh()
    crash = RootCauseCandidate.objects.get(memberships__case=crash_cases[0])

    newcomer = case_with(team, "the app crashes when I open the statement tab")
    services.candidates_refresh()

    crash.refresh_from_db()
    assert crash.size == 7
    assert newcomer in crash.cases.all()
    assert RootCauseCandidate.objects.count() == 2


def test_cases_with_a_strong_suggestion_or_a_root_cause_are_left_out(
    crash_cases, parcel_cases, card_arrival
):
    for case in parcel_cases[:3]:
        suggested(case, card_arrival, 0.95)  # the model knows them
    for case in parcel_cases[3:]:
        case.root_cause = card_arrival
        case.save(update_fields=["root_cause"])
    for case in crash_cases:
        suggested(case, card_arrival, 0.2)  # weak: still unexplained

    run = services.candidates_refresh()

    assert run.pool == 6
    assert RootCauseCandidate.objects.get().size == 6


def test_a_group_smaller_than_the_minimum_is_no_candidate(settings, crash_cases):
    settings.CXDESK_ROOTCAUSE_CANDIDATE_MIN_CASES = 7

    assert services.candidates_refresh().open == 0
    assert not RootCauseCandidate.objects.exists()


def test_a_dismissed_groups_cases_are_not_proposed_again(crash_cases, parcel_cases):
    services.candidates_refresh()
    crash = RootCauseCandidate.objects.get(memberships__case=crash_cases[0])
    services.candidate_dismiss(candidate_id=crash.pk)

    run = services.candidates_refresh()

    assert run.pool == 6
    assert RootCauseCandidate.objects.filter(state="open").count() == 1
    crash.refresh_from_db()
    assert crash.state == RootCauseCandidate.State.DISMISSED
    assert crash.size == 6


def test_a_group_gone_drops_its_open_candidate(crash_cases, parcel_cases, card_arrival):
    services.candidates_refresh()
    for case in parcel_cases:
        case.root_cause = card_arrival
        case.save(update_fields=["root_cause"])

    run = services.candidates_refresh()

    assert (run.refreshed, run.dropped) == (1, 1)
    assert RootCauseCandidate.objects.get().cases.count() == 6


def test_old_cases_are_not_clustered(settings, crash_cases, time_machine):
    time_machine.move_to("2099-01-01")
    assert services.candidates_refresh().pool == 0


def test_the_task_is_registered_and_beat_runs_it(crash_cases):
    task = task_named("apps.rootcauses.tasks.refresh_candidates")
    entry = django_settings.CELERY_BEAT_SCHEDULE["refresh-root-cause-candidates"]

    assert entry["task"] == "apps.rootcauses.tasks.refresh_candidates"
    assert task.delay().get() == 1
    assert task.delay().get() == 1
    assert RootCauseCandidate.objects.count() == 1
