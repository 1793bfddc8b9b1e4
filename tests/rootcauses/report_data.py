"""Cases for the root-cause report tests: two causes over two teams, this period and the
one before, with one customer writing twice."""

from datetime import UTC, datetime

from apps.rootcauses import rollups
from apps.rootcauses import services as rc_services
from apps.sla.models import CaseMetrics
from tests.factories import CaseFactory, ContactFactory

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
FROM, TO = "2026-11-01", "2026-11-30"  # 30 days, the 30th included


def seed(team, other_team, owner):
    """Returns (double charge, refund late): 3 + 1 cases this period on `team`, 2 on
    `other_team`; 2 of the double charge's before (October)."""
    top = rc_services.root_cause_create(name="Billing", owner_team=owner)
    double = rc_services.root_cause_create(name="Double charge", parent=top, owner_team=owner)
    refund = rc_services.root_cause_create(name="Refund late", parent=top, owner_team=owner)
    dana, eli = ContactFactory(name="Dana Doe"), ContactFactory(name="Eli Roe")

    def case(cause, team, day, contact, *, reopens=0, handle=0, fcr=None, channel="email"):
        at = datetime(2026, 10 if day < 0 else 11, abs(day), 10, tzinfo=UTC)
        c = CaseFactory(
            root_cause=cause,
            team=team,
            requester=contact,
            created_at=at,
            reopen_count=reopens,
            channel=channel,
        )
        CaseMetrics.objects.create(
            case=c,
            computed_at=at,
            opened_at=at,
            channel=channel,
            priority="normal",
            team=team,
            handle_seconds=handle,
            fcr=fcr,
            fcr_state="unknown" if fcr is None else "final",
        )
        return c

    case(double, team, 3, dana, handle=600, fcr=True)
    case(double, team, 4, dana, reopens=1, handle=300, fcr=False)
    case(double, team, 20, eli, channel="chat", fcr=True)
    case(refund, team, 5, eli)
    case(double, other_team, 6, ContactFactory(), handle=1200)
    case(double, other_team, 7, ContactFactory())
    case(double, team, -10, dana)  # October: the previous period
    case(double, team, -12, eli)
    rollups.rollups_build(now=NOW, max_days=None)
    return double, refund
