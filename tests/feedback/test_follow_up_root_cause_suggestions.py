"""A bad answer's comment gets root-cause suggestions as a case does (the same model,
apps/rootcauses/suggest.py), stored on its follow-up and shown on the follow-ups page;
idempotent, and nothing without a model or a comment."""

from datetime import timedelta

import pytest
from django.urls import reverse

from apps.feedback import services, tasks
from apps.feedback.models import FollowUp, Survey
from apps.rootcauses import services as rootcauses
from tests.factories import CaseFactory, InteractionFactory, TeamFactory

from .conftest import SOLVED_AT

pytestmark = pytest.mark.django_db

ARRIVAL = [
    "my card has not arrived yet",
    "still waiting for my new card to arrive",
    "when will the card I ordered be delivered",
    "card not delivered after two weeks",
    "where is my card, it never came in the post",
    "how long does card delivery take",
]
PAYMENT = [
    "a card payment was declined at the shop",
    "my payment with the card did not go through",
    "the card was refused when paying online",
    "why was my card payment rejected",
    "payment declined in the supermarket",
    "card payment failed at the restaurant",
]


@pytest.fixture(autouse=True)
def _forget_loaded_models():
    rootcauses._loaded.clear()
    yield
    rootcauses._loaded.clear()


@pytest.fixture
def causes(team):
    owner = TeamFactory(name="Cards", slug="cards")
    parent = rootcauses.root_cause_create(name="Cards", owner_team=owner)
    arrival = rootcauses.root_cause_create(name="Card arrival", parent=parent, owner_team=owner)
    payment = rootcauses.root_cause_create(name="Card payment", parent=parent, owner_team=owner)
    return arrival, payment


@pytest.fixture
def model(causes, team):
    for texts, cause in ((ARRIVAL, causes[0]), (PAYMENT, causes[1])):
        for text in texts:
            case = CaseFactory(team=team, subject="Help", root_cause=cause)
            InteractionFactory(case=case, direction="in", is_public=True, body_text=text)
    return rootcauses.suggestion_model_train(min_cases=10)


@pytest.fixture
def sent(clock, committed, make_case):
    case = make_case()
    clock.move_to(SOLVED_AT + timedelta(hours=2))
    committed(tasks.send_due_surveys)
    return Survey.objects.get(case=case)


def test_a_bad_comment_gets_the_likely_root_causes(model, causes, sent, committed):
    committed(
        services.survey_answer,
        survey_id=sent.pk,
        rating=0,
        comment="Three weeks and my new card still has not arrived",
    )
    follow_up = FollowUp.objects.get()
    assert [s["root_cause"] for s in follow_up.suggestions][0] == causes[0].pk
    assert follow_up.suggestions[0]["path"] == causes[0].path
    assert follow_up.suggested_from.startswith(f"{model.version}:")
    # Again: the same model, the same text — nothing written.
    before = follow_up.suggested_from
    FollowUp.objects.filter(pk=follow_up.pk).update(suggestions=[{"stale": True}])
    services.follow_up_suggest(follow_up_id=follow_up.pk)
    follow_up.refresh_from_db()
    assert (follow_up.suggestions, follow_up.suggested_from) == ([{"stale": True}], before)


def test_an_edited_comment_is_suggested_again(model, causes, sent, committed):
    committed(services.survey_answer, survey_id=sent.pk, rating=0, comment="")
    follow_up = FollowUp.objects.get()
    assert follow_up.suggestions == []
    committed(
        services.survey_answer, survey_id=sent.pk, rating=0, comment="the card payment was declined"
    )
    follow_up.refresh_from_db()
    assert follow_up.suggestions[0]["root_cause"] == causes[1].pk


def test_shown_on_the_follow_ups_page(model, causes, sent, committed, client, supervisor):
    committed(services.survey_answer, survey_id=sent.pk, rating=0, comment="card never arrived")
    client.force_login(supervisor)
    html = client.get(reverse("feedback:follow-ups")).content.decode()
    assert "Likely root cause: " in html
    assert causes[0].path in html


def test_no_model_no_suggestion_no_error(causes, sent, committed):
    committed(services.survey_answer, survey_id=sent.pk, rating=0, comment="card never arrived")
    assert FollowUp.objects.get().suggestions == []


def test_off_when_suggestions_are_off(model, sent, committed, settings):
    settings.CXDESK_ROOTCAUSE_SUGGESTIONS = False
    committed(services.survey_answer, survey_id=sent.pk, rating=0, comment="card never arrived")
    assert FollowUp.objects.get().suggestions == []


def test_a_gone_follow_up_is_nothing():
    assert services.follow_up_suggest(follow_up_id=999_999) == []
