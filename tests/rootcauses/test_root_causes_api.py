"""/api/v1/root-causes/: everyone with rootcauses:read lists it, admins (and their tokens
with rootcauses:write) add, change and retire nodes, bad input is a 4xx naming the field."""

import pytest

from apps.rootcauses.models import RootCause
from tests.factories import TeamFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/root-causes/"


def test_an_admin_builds_a_branch_and_lists_it_by_path(admin_api, product_team):
    category = admin_api.post(URL, {"name": "Cards", "owner_team": product_team.pk}, format="json")
    assert category.status_code == 201, category.content
    cause = admin_api.post(
        URL,
        {
            "name": "Card arrival",
            "parent": category.json()["id"],
            "owner_team": product_team.pk,
            "description": "The card has not arrived",
        },
        format="json",
    )
    assert cause.status_code == 201, cause.content
    assert (cause.json()["path"], cause.json()["depth"]) == ("Cards › Card arrival", 2)

    listed = admin_api.get(URL).json()["results"]
    assert [n["path"] for n in listed] == ["Cards", "Cards › Card arrival"]


def test_an_admin_renames_and_retires_a_node(admin_api, cards, card_arrival):
    renamed = admin_api.patch(f"{URL}{cards.pk}/", {"name": "Debit cards"}, format="json")
    assert renamed.status_code == 200, renamed.content
    assert admin_api.get(f"{URL}{card_arrival.pk}/").json()["path"] == "Debit cards › Card arrival"

    retired = admin_api.post(f"{URL}{cards.pk}/retire/")
    assert retired.status_code == 200, retired.content
    assert retired.json()["retired"] is True
    current = admin_api.get(URL, {"retired": "false"}).json()["results"]
    assert current == []
    assert RootCause.objects.get(pk=card_arrival.pk).retired_at is not None


@pytest.mark.parametrize(
    ("scopes", "method", "expected"),
    [
        (["rootcauses:read"], "get", 200),
        (["rootcauses:write"], "get", 200),
        (["cases:read"], "get", 403),
        (["rootcauses:read"], "post", 403),
        (["rootcauses:write"], "post", 201),
        (["cases:write"], "post", 403),
    ],
)
def test_tokens_are_held_to_their_scopes(
    token_client, admin_user, product_team, scopes, method, expected
):
    api = token_client(admin_user, scopes=scopes)
    if method == "get":
        response = api.get(URL)
    else:
        response = api.post(URL, {"name": "Cards", "owner_team": product_team.pk}, format="json")
    assert response.status_code == expected, response.content


def test_an_agents_token_with_the_write_scope_still_cannot_write(
    token_client, agent, product_team, cards
):
    api = token_client(agent, scopes=["rootcauses:write"])

    assert api.get(URL).status_code == 200
    assert (
        api.post(URL, {"name": "X", "owner_team": product_team.pk}, format="json").status_code
        == 403
    )
    assert api.patch(f"{URL}{cards.pk}/", {"name": "Y"}, format="json").status_code == 403
    assert api.post(f"{URL}{cards.pk}/retire/").status_code == 403
    assert RootCause.objects.get(pk=cards.pk).name == "Cards"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "", "owner_team": "TEAM"}, "name"),
        ({"name": "X" * 101, "owner_team": "TEAM"}, "name"),
        ({"name": "Cards"}, "owner_team"),
        ({"name": "Cards", "owner_team": 999999}, "owner_team"),
        ({"name": "Cards", "owner_team": "billing"}, "owner_team"),
        ({"name": "Lost", "owner_team": "TEAM", "parent": 999999}, "parent"),
        ({"name": "Cards", "owner_team": "TEAM", "colour": "red"}, "colour"),
        ({"name": "A › B", "owner_team": "TEAM"}, "name"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(admin_api, product_team, body, field):
    body = {k: (product_team.pk if v == "TEAM" else v) for k, v in body.items()}

    response = admin_api.post(URL, body, format="json")

    assert response.status_code == 400, response.content
    assert field in response.json()["error"]["fields"]
    assert not RootCause.objects.exists()


def test_a_fourth_level_is_a_400_and_a_twin_a_409(admin_api, card_arrival, cards, product_team):
    detail = admin_api.post(
        URL,
        {"name": "Abroad", "parent": card_arrival.pk, "owner_team": product_team.pk},
        format="json",
    )
    assert detail.status_code == 201, detail.content

    deeper = admin_api.post(
        URL,
        {"name": "Deeper", "parent": detail.json()["id"], "owner_team": product_team.pk},
        format="json",
    )
    assert deeper.status_code == 400
    assert deeper.json()["error"]["code"] == "root_cause_too_deep"

    twin = admin_api.post(
        URL,
        {"name": "card arrival", "parent": cards.pk, "owner_team": product_team.pk},
        format="json",
    )
    assert twin.status_code == 409
    assert twin.json()["error"]["code"] == "root_cause_name_taken"


def test_nothing_can_be_added_under_a_retired_node(admin_api, cards, product_team):
    admin_api.post(f"{URL}{cards.pk}/retire/")

    response = admin_api.post(
        URL, {"name": "New", "parent": cards.pk, "owner_team": product_team.pk}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "root_cause_retired"
    assert "parent" in response.json()["error"]["fields"]


def test_an_empty_patch_is_a_400(admin_api, cards):
    assert admin_api.patch(f"{URL}{cards.pk}/", {}, format="json").status_code == 400


def test_another_owner_team_through_the_api(admin_api, cards):
    logistics = TeamFactory(name="Logistics partner", slug="logistics-partner")
    response = admin_api.patch(f"{URL}{cards.pk}/", {"owner_team": logistics.pk}, format="json")
    assert response.json()["owner_team"] == logistics.pk


def test_the_list_is_a_constant_number_of_queries(
    admin_api, product_team, django_assert_max_num_queries
):
    from apps.rootcauses import services

    services.root_cause_create(name="A", owner_team=product_team)
    with django_assert_max_num_queries(10) as few:
        assert admin_api.get(URL).status_code == 200
    for n in range(10):
        services.root_cause_create(name=f"B{n}", owner_team=product_team)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(admin_api.get(URL).json()["results"]) == 11
