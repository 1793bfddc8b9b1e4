"""GET /api/v1/root-causes/candidates/ (rootcauses:read) and the decisions accept, merge,
dismiss (rootcauses:write): who may see and decide what, and every bad input a clear 4xx."""

import pytest

from apps.cases import events
from apps.cases.models import Case, CaseEvent
from apps.rootcauses.models import RootCause, RootCauseCandidate
from tests.factories import CaseFactory
from tests.rootcauses.candidate_data import make_candidate

pytestmark = pytest.mark.django_db

URL = "/api/v1/root-causes/candidates/"


@pytest.fixture
def announced():
    changes: list[events.CaseChange] = []
    recorder = events.subscribe(changes.extend, in_transaction=True)
    yield changes
    events.unsubscribe(recorder)


@pytest.fixture
def mine(team):
    return make_candidate([CaseFactory(team=team, subject=f"Crash {n}") for n in range(5)])


@pytest.fixture
def theirs(other_team):
    return make_candidate(
        [CaseFactory(team=other_team, subject=f"Parcel {n}") for n in range(6)],
        terms=("parcel", "address"),
    )


@pytest.fixture
def mixed(team, other_team):
    """A candidate over cases of both teams: its subjects would tell of the other's cases."""
    return make_candidate(
        [CaseFactory(team=team), CaseFactory(team=other_team), CaseFactory(team=team)]
    )


def test_the_list_shows_only_candidates_whose_every_case_one_may_see(
    token_client, agent, mine, theirs, mixed
):
    response = token_client(agent, scopes=["rootcauses:read"]).get(URL)

    assert response.status_code == 200, response.content
    rows = response.json()["results"]
    assert [r["id"] for r in rows] == [mine.pk]
    assert rows[0]["top_terms"] == ["statement", "crash"]
    assert rows[0]["size"] == 5
    assert rows[0]["sample_subjects"] == [f"Crash {n}" for n in range(5)]
    assert sorted(rows[0]["cases"]) == sorted(mine.cases.values_list("pk", flat=True))


def test_an_admin_sees_every_open_candidate_largest_first(admin_api, mine, theirs, mixed):
    rows = admin_api.get(URL).json()["results"]

    assert [r["id"] for r in rows] == [theirs.pk, mine.pk, mixed.pk]


def test_another_teams_candidate_is_not_found(token_client, supervisor, theirs):
    api = token_client(supervisor)

    assert api.get(f"{URL}{theirs.pk}/").status_code == 404
    assert api.post(f"{URL}{theirs.pk}/dismiss/").status_code == 404


def test_decided_candidates_are_listed_by_state(admin_api, mine, theirs):
    admin_api.post(f"{URL}{theirs.pk}/dismiss/")

    assert [r["id"] for r in admin_api.get(URL).json()["results"]] == [mine.pk]
    dismissed = admin_api.get(URL, {"state": "dismissed"}).json()["results"]
    assert [r["id"] for r in dismissed] == [theirs.pk]
    assert admin_api.get(URL, {"state": "bogus"}).status_code == 400


def test_accepting_adds_a_node_and_tags_its_cases_audited(
    admin_api, admin_user, mine, cards, announced
):
    response = admin_api.post(
        f"{URL}{mine.pk}/accept/",
        {"name": "App crash on statement", "parent": cards.pk, "owner_team": cards.owner_team_id},
        format="json",
    )

    assert response.status_code == 200, response.content
    body = response.json()
    node = RootCause.objects.get(name="App crash on statement")
    assert (body["state"], body["root_cause"], body["path"]) == (
        "accepted",
        node.pk,
        "Cards › App crash on statement",
    )
    assert node.owner_team_id == cards.owner_team_id
    assert set(Case.objects.filter(root_cause=node)) == set(mine.cases.all())
    audit = CaseEvent.objects.filter(kind=CaseEvent.Kind.ROOT_CAUSE, case__in=mine.cases.all())
    assert audit.count() == 5
    assert {e.actor_id for e in audit} == {admin_user.pk}
    assert {c.case_id for c in announced if "root_cause" in c.fields} == set(
        mine.cases.values_list("pk", flat=True)
    )


def test_accepting_twice_is_a_conflict(admin_api, mine, product_team):
    data = {"name": "App crash", "owner_team": product_team.pk}
    assert admin_api.post(f"{URL}{mine.pk}/accept/", data, format="json").status_code == 200

    again = admin_api.post(f"{URL}{mine.pk}/accept/", {**data, "name": "Other"}, format="json")

    assert again.status_code == 409
    assert again.json()["error"]["code"] == "candidate_decided"
    assert not RootCause.objects.filter(name="Other").exists()


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"name": "X", "owner_team": 0, "parent": 999999}, "parent"),
        ({"name": "X", "owner_team": 999999}, "owner_team"),
        ({"owner_team": None}, "name"),
        ({"name": "X", "owner_team": None, "colour": "red"}, "colour"),
    ],
)
def test_bad_accept_input_is_a_400_naming_the_field(admin_api, mine, product_team, data, field):
    if data.get("owner_team") in (0, None):
        data["owner_team"] = product_team.pk

    response = admin_api.post(f"{URL}{mine.pk}/accept/", data, format="json")

    assert response.status_code == 400, response.content
    assert field in response.json()["error"]["fields"]
    assert RootCauseCandidate.objects.get(pk=mine.pk).state == "open"


def test_accepting_under_a_retired_node_is_refused(admin_api, mine, cards, product_team):
    cards.retired_at = cards.created_at
    cards.save(update_fields=["retired_at"])

    response = admin_api.post(
        f"{URL}{mine.pk}/accept/",
        {"name": "App crash", "parent": cards.pk, "owner_team": product_team.pk},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "root_cause_retired"
    assert not mine.cases.filter(root_cause__isnull=False).exists()


def test_merging_tags_the_cases_with_an_existing_node(token_client, supervisor, mine, card_arrival):
    tagged_before = mine.cases.first()
    tagged_before.root_cause = card_arrival
    tagged_before.save(update_fields=["root_cause"])  # tagged by hand meanwhile

    response = token_client(supervisor).post(
        f"{URL}{mine.pk}/merge/", {"root_cause": card_arrival.pk}, format="json"
    )

    assert response.status_code == 200, response.content
    assert response.json()["state"] == "merged"
    assert mine.cases.filter(root_cause=card_arrival).count() == 5
    assert CaseEvent.objects.filter(kind="root_cause", case__in=mine.cases.all()).count() == 4


def test_merging_into_an_unknown_node_is_a_400(admin_api, mine):
    response = admin_api.post(f"{URL}{mine.pk}/merge/", {"root_cause": 999999}, format="json")

    assert response.status_code == 400
    assert "root_cause" in response.json()["error"]["fields"]


def test_dismissing_leaves_the_cases_as_they_were(token_client, supervisor, mine):
    response = token_client(supervisor).post(f"{URL}{mine.pk}/dismiss/")

    assert response.status_code == 200, response.content
    assert response.json()["state"] == "dismissed"
    assert not mine.cases.filter(root_cause__isnull=False).exists()
    assert token_client(supervisor).post(f"{URL}{mine.pk}/dismiss/").status_code == 409


def test_agents_decide_nothing_and_supervisors_accept_nothing(
    token_client, agent, supervisor, mine, card_arrival, product_team
):
    as_agent = token_client(agent)
    assert as_agent.post(f"{URL}{mine.pk}/dismiss/").status_code == 403
    assert (
        as_agent.post(
            f"{URL}{mine.pk}/merge/", {"root_cause": card_arrival.pk}, format="json"
        ).status_code
        == 403
    )
    accept = token_client(supervisor).post(
        f"{URL}{mine.pk}/accept/", {"name": "X", "owner_team": product_team.pk}, format="json"
    )
    assert accept.status_code == 403
    assert RootCauseCandidate.objects.get(pk=mine.pk).state == "open"


def test_scopes_read_lists_and_write_decides(token_client, admin_user, mine):
    reader = token_client(admin_user, scopes=["rootcauses:read"])
    assert reader.get(URL).status_code == 200
    assert reader.post(f"{URL}{mine.pk}/dismiss/").status_code == 403
    assert token_client(admin_user, scopes=["cases:read"]).get(URL).status_code == 403
    assert (
        token_client(admin_user, scopes=["rootcauses:write"])
        .post(f"{URL}{mine.pk}/dismiss/")
        .status_code
        == 200
    )


def test_no_credentials_no_candidates(client, mine):
    assert client.get(URL).status_code in (401, 403)


def test_the_list_costs_the_same_queries_for_one_candidate_or_many(
    admin_api, team, django_assert_max_num_queries
):
    make_candidate([CaseFactory(team=team) for _ in range(5)])
    with django_assert_max_num_queries(20) as few:
        admin_api.get(URL)
    for _ in range(8):
        make_candidate([CaseFactory(team=team) for _ in range(5)])

    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(admin_api.get(URL).json()["results"]) == 9
