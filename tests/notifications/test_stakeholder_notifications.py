"""A stakeholder reads their notices — a spike of a cause their team owns — in the app, and
nothing about a case: the inbox, the header's count, opening and marking read all see only
the notices about no case (apps/notifications/selectors.py, the second wall behind the
services that never write them any other)."""

import pytest
import time_machine

from apps.notifications.models import Notification
from apps.notifications.services import notify_many
from apps.rootcauses import tasks
from tests.factories import CaseFactory, StakeholderFactory, TeamFactory
from tests.rootcauses.spike_data import NOW, TODAY, add_cases, aged_cause, steady_history

pytestmark = pytest.mark.django_db


@pytest.fixture
def product_team(db):
    return TeamFactory(name="Card product", slug="card-product")


@pytest.fixture
def spiked(product_team, django_capture_on_commit_callbacks):
    """A stakeholder of the owner team, alerted of a spike of 20 cases on a steady 2 a day."""
    pia = StakeholderFactory(username="pia", teams=[product_team])
    cause = aged_cause("Card arrival", product_team)
    steady_history(cause, per_day=2)
    add_cases(cause, TODAY, 20)
    with time_machine.travel(NOW, tick=False), django_capture_on_commit_callbacks(execute=True):
        assert tasks.detect_spikes.delay().get() == 1
    return pia


def test_a_stakeholder_reads_the_spike_in_the_app_and_follows_it(client, spiked, product_team):
    client.force_login(spiked)
    with time_machine.travel(NOW, tick=False):
        dashboard = client.get("/root-causes/dashboard/").content.decode()
        inbox = client.get("/notifications/")
    assert 'href="/notifications/"' in dashboard  # the header links to it, with the count
    assert '<span class="count">1</span>' in dashboard
    assert inbox.status_code == 200
    html = inbox.content.decode()
    assert "Spike in" in html
    assert "Card arrival" in html

    notice = Notification.objects.get(recipient=spiked)
    opened = client.get(f"/notifications/{notice.pk}/open/")
    assert opened.status_code == 302
    assert opened["Location"] == f"/root-causes/dashboard/?owner_team={product_team.pk}"
    notice.refresh_from_db()
    assert notice.read_at is not None
    assert 'class="count"' not in client.get("/notifications/count/").content.decode()


def test_a_notice_about_a_case_never_reaches_a_stakeholder(client, spiked, team):
    case = CaseFactory(team=team, subject="Refund for Jane Roe")
    [about_case] = notify_many([(spiked, "mentioned", case, f"{case.reference}: Jane Roe")])
    client.force_login(spiked)

    html = client.get("/notifications/").content.decode()
    assert "Jane Roe" not in html
    assert case.reference not in html
    assert '<span class="count">1</span>' in html  # the spike only
    assert client.get(f"/notifications/{about_case.pk}/open/").status_code == 404
    assert client.post("/notifications/read/", {"id": about_case.pk}).status_code == 404
    assert '<span class="count">1</span>' in client.get("/notifications/count/").content.decode()

    client.post("/notifications/read/")  # "mark all read" marks what they see
    about_case.refresh_from_db()
    assert about_case.read_at is None
    assert not Notification.objects.filter(
        recipient=spiked, kind="root_cause_spike", read_at__isnull=True
    ).exists()
