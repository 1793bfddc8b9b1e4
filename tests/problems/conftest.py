import pytest

from apps.problems import services
from apps.rootcauses import services as rootcauses
from tests.factories import TeamFactory


@pytest.fixture
def product_team(db):
    """The owner team of the root cause: outside the contact center."""
    return TeamFactory(name="Payments product", slug="payments-product")


@pytest.fixture
def billing_cause(product_team):
    category = rootcauses.root_cause_create(name="Billing", owner_team=product_team)
    return rootcauses.root_cause_create(
        name="Double charge", parent=category, owner_team=product_team
    )


@pytest.fixture
def problem(billing_cause, supervisor, team):
    """An open problem owned by the supervisor's team."""
    return services.problem_create(
        title="Double charge on renewal since 2.3",
        root_cause=billing_cause,
        owner_team=team,
        actor=supervisor,
    )
