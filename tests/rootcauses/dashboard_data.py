"""The owners' dashboard's data: report_data's causes owned by a product team that works no
case, another owner's cause beside them, an active spike and an open problem of each."""

from datetime import date

from apps.problems import services as problem_services
from apps.rootcauses import rollups
from apps.rootcauses import services as rc_services
from apps.rootcauses.models import RootCauseSpike
from tests.factories import CaseFactory, SupervisorFactory, TeamFactory
from tests.rootcauses.report_data import NOW, seed


def spike(cause) -> RootCauseSpike:
    return RootCauseSpike.objects.create(
        root_cause=cause,
        first_day=date(2026, 11, 29),
        last_day=date(2026, 11, 29),
        observed=20,
        expected=2.0,
        p_value=1e-9,
    )


def seed_dashboard(team, other_team):
    """Returns (product team, logistics product team, double charge, refund late, parcel
    lost): the product team owns Billing's two causes (6 cases this period, 2 before), the
    logistics team one cause with 2 cases."""
    product = TeamFactory(name="Payments product", slug="payments")
    logistics = TeamFactory(name="Parcels product", slug="parcels")
    double, refund = seed(team, other_team, product)
    parcel = rc_services.root_cause_create(name="Parcel lost", owner_team=logistics)
    for day in (8, 9):
        CaseFactory(root_cause=parcel, team=team, created_at=NOW.replace(day=day))
    rollups.rollups_build(now=NOW, max_days=None, rebuild=True)  # the new cases wrote no mark
    spike(double)
    spike(parcel)
    boss = SupervisorFactory(teams=[team])
    for cause, title in ((double, "Renewals charged twice"), (parcel, "Depot lost parcels")):
        problem_services.problem_create(title=title, root_cause=cause, actor=boss)
    return product, logistics, double, refund, parcel
