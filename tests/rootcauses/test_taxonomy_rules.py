"""The taxonomy's rules: category › cause › detail, unique names among siblings, paths kept
up to date, retiring a node retires what is under it and keeps its cases."""

import pytest
import time_machine
from django.utils import timezone

from apps.rootcauses import services
from apps.rootcauses.models import RootCause

pytestmark = pytest.mark.django_db


def test_a_cause_under_a_category_has_its_path_and_depth(card_arrival, product_team):
    assert (card_arrival.path, card_arrival.depth) == ("Cards › Card arrival", 2)
    assert card_arrival.owner_team == product_team  # a team that works no cases


def test_a_detail_is_the_deepest_level(card_arrival, product_team):
    detail = services.root_cause_create(name="Abroad", parent=card_arrival, owner_team=product_team)
    assert (detail.path, detail.depth) == ("Cards › Card arrival › Abroad", 3)

    with pytest.raises(services.RootCauseTooDeep) as refused:
        services.root_cause_create(name="Deeper", parent=detail, owner_team=product_team)
    assert refused.value.fields == {"parent": [refused.value.message]}
    assert not RootCause.objects.filter(name="Deeper").exists()


@pytest.mark.parametrize("name", ["card arrival", "  Card   arrival "])
def test_names_are_unique_among_siblings_whatever_the_case_and_spaces(
    card_arrival, cards, product_team, name
):
    with pytest.raises(services.RootCauseNameTaken):
        services.root_cause_create(name=name, parent=cards, owner_team=product_team)


def test_the_same_name_may_live_under_another_parent(cards, card_arrival, product_team):
    transfers = services.root_cause_create(name="Transfers", owner_team=product_team)
    other = services.root_cause_create(
        name="Card arrival", parent=transfers, owner_team=product_team
    )
    assert other.path == "Transfers › Card arrival"


def test_two_categories_cannot_share_a_name(cards, product_team):
    with pytest.raises(services.RootCauseNameTaken):
        services.root_cause_create(name="CARDS", owner_team=product_team)


@pytest.mark.parametrize("name", ["", "   ", "Cards › Lost"])
def test_a_bad_name_is_refused_naming_the_field(product_team, name):
    with pytest.raises(services.RootCauseError) as refused:
        services.root_cause_create(name=name, owner_team=product_team)
    assert list(refused.value.fields) == ["name"]


def test_renaming_a_category_rewrites_the_paths_below(cards, card_arrival, product_team):
    detail = services.root_cause_create(name="Abroad", parent=card_arrival, owner_team=product_team)

    services.root_cause_update(root_cause_id=cards.pk, name="Debit cards")

    paths = dict(RootCause.objects.values_list("pk", "path"))
    assert paths[cards.pk] == "Debit cards"
    assert paths[card_arrival.pk] == "Debit cards › Card arrival"
    assert paths[detail.pk] == "Debit cards › Card arrival › Abroad"


def test_retiring_a_category_retires_its_causes_at_the_same_instant(
    cards, card_arrival, card_payment
):
    at = timezone.now()
    with time_machine.travel(at, tick=False):
        services.root_cause_retire(root_cause_id=cards.pk)

    retired = dict(RootCause.objects.values_list("pk", "retired_at"))
    assert retired == {cards.pk: at, card_arrival.pk: at, card_payment.pk: at}


def test_retiring_twice_keeps_the_first_date(card_arrival):
    first = services.root_cause_retire(root_cause_id=card_arrival.pk).retired_at
    again = services.root_cause_retire(root_cause_id=card_arrival.pk).retired_at
    assert again == first
