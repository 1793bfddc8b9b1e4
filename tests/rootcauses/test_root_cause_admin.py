"""The taxonomy in the admin goes through the services: a refused node is a form error."""

import pytest

from apps.rootcauses.models import RootCause

pytestmark = pytest.mark.django_db

ADD = "/admin/rootcauses/rootcause/add/"


def test_an_admin_adds_a_cause_under_a_category(admin_client, cards, product_team):
    response = admin_client.post(
        ADD, {"name": "Card arrival", "parent": cards.pk, "owner_team": product_team.pk}
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    assert RootCause.objects.get(name="Card arrival").path == "Cards › Card arrival"


def test_a_twin_is_a_form_error_and_nothing_is_saved(
    admin_client, card_arrival, cards, product_team
):
    response = admin_client.post(
        ADD, {"name": "card arrival", "parent": cards.pk, "owner_team": product_team.pk}
    )

    assert response.status_code == 200
    assert "exists already under Cards" in response.content.decode()
    assert RootCause.objects.filter(parent=cards).count() == 1


def test_renaming_in_the_admin_rewrites_paths(admin_client, cards, card_arrival, product_team):
    response = admin_client.post(
        f"/admin/rootcauses/rootcause/{cards.pk}/change/",
        {"name": "Debit cards", "owner_team": product_team.pk, "description": ""},
    )

    assert response.status_code == 302
    card_arrival.refresh_from_db()
    assert card_arrival.path == "Debit cards › Card arrival"


def test_the_retire_action(admin_client, cards, card_arrival):
    admin_client.post(
        "/admin/rootcauses/rootcause/",
        {"action": "retire", "_selected_action": [cards.pk]},
    )

    assert not RootCause.objects.active().exists()
