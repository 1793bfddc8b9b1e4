import pytest

from apps.rootcauses import services
from tests.factories import TeamFactory


@pytest.fixture
def product_team(db):
    """A team outside the contact center: it owns causes, it works no cases."""
    return TeamFactory(name="Card product", slug="card-product")


@pytest.fixture
def cards(product_team):
    return services.root_cause_create(name="Cards", owner_team=product_team)


@pytest.fixture
def card_arrival(cards, product_team):
    return services.root_cause_create(
        name="Card arrival", parent=cards, owner_team=product_team, description="Not arrived yet"
    )


@pytest.fixture
def card_payment(cards, product_team):
    return services.root_cause_create(name="Card payment", parent=cards, owner_team=product_team)
