"""Suggestions: trained from tagged cases, stored signed with their version, computed by an
idempotent task for a new case (through the case-changed seam), shown by the API and the
case page; without a model, none and no error."""

import pytest

from apps.cases import services as cases
from apps.rootcauses import services, suggest
from apps.rootcauses.models import RootCauseSuggestion, SuggestionModel
from apps.rootcauses.tasks import suggest_case
from tests.factories import CaseFactory, ContactFactory, InteractionFactory

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


@pytest.fixture
def tagged(team, card_arrival, card_payment):
    """Cases tagged with the two causes, each with its customer's first message."""
    for texts, cause in ((ARRIVAL, card_arrival), (PAYMENT, card_payment)):
        for text in texts:
            case = CaseFactory(team=team, subject="Help", root_cause=cause)
            InteractionFactory(case=case, direction="in", is_public=True, body_text=text)


@pytest.fixture
def model(tagged):
    return services.suggestion_model_train(min_cases=10)


@pytest.fixture(autouse=True)
def _forget_loaded_models():
    services._loaded.clear()
    yield
    services._loaded.clear()


def _open(team, text):
    return cases.case_open(
        requester=ContactFactory(), subject="Question", channel="email", team=team, body_text=text
    ).case


def test_training_stores_a_signed_model_with_its_figures(model):
    stored = SuggestionModel.objects.get()
    assert (stored.version, stored.cases, stored.classes) == (1, 12, 2)
    assert stored.figures["train_seconds"] >= 0
    assert stored.figures["stored_bytes"] == len(bytes(stored.blob))
    assert suggest.loads(stored.blob, stored.signature) is not None


def test_too_few_tagged_cases_train_no_model(tagged):
    assert services.suggestion_model_train(min_cases=1000) is None
    assert not SuggestionModel.objects.exists()


def test_a_model_we_did_not_sign_is_never_unpickled(model):
    SuggestionModel.objects.update(blob=b"cos\nsystem\n(S'echo pwned'\ntR.")
    services._loaded.clear()

    stored = SuggestionModel.objects.get()
    with pytest.raises(suggest.ModelRefused):
        suggest.loads(stored.blob, stored.signature)
    assert services.suggestion_model_active() is None  # logged, never an error


def test_retraining_makes_a_new_version_and_keeps_two(model):
    services.suggestion_model_train(min_cases=10)
    services.suggestion_model_train(min_cases=10)
    assert list(SuggestionModel.objects.values_list("version", flat=True)) == [3, 2]


def test_a_new_case_gets_its_top_suggestions_through_the_seam(
    model, team, card_arrival, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        case = _open(team, "I ordered a card ten days ago and it has not arrived")

    stored = list(RootCauseSuggestion.objects.filter(case=case).order_by("rank"))
    assert stored[0].root_cause == card_arrival
    assert [s.rank for s in stored] == [1, 2]  # two causes in the taxonomy
    assert 0 < stored[1].score < stored[0].score <= 1
    assert {s.model_version for s in stored} == {1}


def test_the_task_is_idempotent(model, team):
    case = _open(team, "my card has still not arrived")
    suggest_case(case.pk)
    first = list(RootCauseSuggestion.objects.filter(case=case).values_list("pk", "score"))

    suggest_case(case.pk)

    assert list(RootCauseSuggestion.objects.filter(case=case).values_list("pk", "score")) == first


def test_a_changed_first_message_recomputes(model, team, card_arrival, card_payment):
    case = _open(team, "my card has still not arrived")
    suggest_case(case.pk)
    assert RootCauseSuggestion.objects.get(case=case, rank=1).root_cause == card_arrival

    case.interactions.update(body_text="my card payment was declined at the shop")
    suggest_case(case.pk)

    assert RootCauseSuggestion.objects.get(case=case, rank=1).root_cause == card_payment


def test_a_later_message_changes_nothing(model, team, django_capture_on_commit_callbacks):
    case = _open(team, "my card has still not arrived")
    suggest_case(case.pk)
    before = list(RootCauseSuggestion.objects.filter(case=case).values_list("pk", flat=True))

    with django_capture_on_commit_callbacks(execute=True):
        cases.interaction_add(
            case_id=case.pk, channel="email", direction="in", body_text="payment declined!"
        )

    after = list(RootCauseSuggestion.objects.filter(case=case).values_list("pk", flat=True))
    assert after == before


def test_without_a_model_no_suggestions_and_no_error(
    team, agent_api, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        case = _open(team, "my card has still not arrived")

    assert suggest_case(case.pk) == 0
    assert not RootCauseSuggestion.objects.exists()
    assert agent_api.get(f"/api/v1/cases/{case.pk}/").json()["root_cause_suggestions"] == []


def test_a_missing_case_is_no_error(model):
    assert suggest_case(999_999) == 0


def test_a_cause_retired_since_training_is_not_suggested(model, team, card_arrival):
    services.root_cause_retire(root_cause_id=card_arrival.pk)
    case = _open(team, "my card has still not arrived")

    suggest_case(case.pk)

    assert card_arrival.pk not in RootCauseSuggestion.objects.values_list("root_cause", flat=True)


def test_the_api_returns_the_suggestions_end_to_end(
    model, team, agent_api, card_arrival, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        created = agent_api.post(
            "/api/v1/cases/",
            {
                "subject": "Card",
                "requester": {"email": "ada@example.com"},
                "team": team.pk,
                "message": {"body_text": "the new card never arrived in the post"},
            },
            format="json",
        )
    assert created.status_code == 201, created.content

    body = agent_api.get(f"/api/v1/cases/{created.json()['id']}/").json()

    best = body["root_cause_suggestions"][0]
    assert best["root_cause"] == card_arrival.pk
    assert best["path"] == "Cards › Card arrival"
    assert 0 <= best["score"] <= 1


def test_the_case_page_offers_them_as_one_click_choices(model, team, client, agent, card_arrival):
    case = _open(team, "my card has still not arrived")
    suggest_case(case.pk)
    client.force_login(agent)

    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert 'aria-label="Suggested root causes"' in page
    assert f'name="root_cause" value="{card_arrival.pk}"' in page

    client.post(f"/cases/{case.pk}/fields/root_cause/", {"root_cause": card_arrival.pk})
    case.refresh_from_db()
    assert case.root_cause == card_arrival
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert 'aria-label="Suggested root causes"' not in page  # chosen: no more offers


def test_the_training_sweep_queues_open_cases_without_suggestions(model, team):
    case = _open(team, "my card has still not arrived")  # no callbacks ran: no task

    assert services.cases_to_suggest() >= 1  # eager: the task ran

    assert RootCauseSuggestion.objects.filter(case=case).exists()


def test_the_worker_loads_a_model_once_per_version(model, django_assert_num_queries):
    services._loaded.clear()
    services.suggestion_model_active()
    with django_assert_num_queries(1):  # the version only
        loaded = services.suggestion_model_active()
    assert loaded.version == 1


def test_a_new_subject_is_heard_through_the_seam(
    model, team, agent, django_capture_on_commit_callbacks
):
    case = _open(team, "my card has still not arrived")
    suggest_case(case.pk)
    digest = RootCauseSuggestion.objects.filter(case=case).values_list("text_digest").first()

    with django_capture_on_commit_callbacks(execute=True):
        cases.case_set_subject(case_id=case.pk, subject="Card payment declined", actor=agent)

    assert (
        RootCauseSuggestion.objects.filter(case=case).values_list("text_digest").first() != digest
    )


def test_switched_off_no_task_runs(model, team, settings, django_capture_on_commit_callbacks):
    settings.CXDESK_ROOTCAUSE_SUGGESTIONS = False
    with django_capture_on_commit_callbacks(execute=True):
        case = _open(team, "my card has still not arrived")

    assert not RootCauseSuggestion.objects.filter(case=case).exists()
