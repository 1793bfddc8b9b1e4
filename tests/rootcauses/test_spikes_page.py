"""/root-causes/spikes/: where an owner sees the active spikes (a notice leads there);
signed out, the sign-in page; a constant number of queries."""

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.notifications import services as notifications
from apps.notifications.models import Notification
from apps.rootcauses.models import RootCauseSpike
from tests.factories import AgentFactory
from tests.rootcauses.spike_data import aged_cause

pytestmark = pytest.mark.django_db

URL = "/root-causes/spikes/"


def spike(cause, *, state="active", ended_days_ago=None) -> RootCauseSpike:
    now = timezone.now()
    return RootCauseSpike.objects.create(
        root_cause=cause,
        state=state,
        first_day=now.date(),
        last_day=now.date(),
        observed=20,
        expected=2.0,
        p_value=3.2e-12,
        ended_at=None if ended_days_ago is None else now - timedelta(days=ended_days_ago),
    )


@pytest.fixture
def owner(client, product_team):
    user = AgentFactory(username="pia", teams=[product_team])
    client.force_login(user)
    return user


def test_active_spikes_are_shown_with_their_team_marked(client, owner, product_team, other_team):
    spike(aged_cause("Card arrival", product_team))
    spike(aged_cause("Refunds", other_team), state="ended", ended_days_ago=2)
    spike(aged_cause("Old news", other_team), state="ended", ended_days_ago=90)

    response = client.get(URL)

    assert response.status_code == 200
    html = response.content.decode()
    active, ended = html.split("<caption>Ended in the last 30 days</caption>")
    assert "Card arrival" in active
    assert "(your team)" in active
    assert "Refunds" in ended
    assert "Refunds" not in active
    assert "Old news" not in html
    assert "3.2e-12" in html


def test_no_spike_says_so(client, owner):
    html = client.get(URL).content.decode()
    assert "No active spike." in html
    assert "No spike ended lately." in html


def test_signed_out_is_sent_to_sign_in(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"] or "login" in response["Location"]


def test_a_spike_notice_opens_the_spikes_page(client, owner):
    [notice] = notifications.notify_many(
        [
            notifications.Notice(
                owner, Notification.Kind.ROOT_CAUSE_SPIKE, None, "Spike", "spike:1", URL
            )
        ]
    )

    response = client.get(f"/notifications/{notice.pk}/open/")

    assert (response.status_code, response["Location"]) == (302, URL)


@pytest.mark.parametrize("link", ["//evil.example/x", "/\\evil.example", "https://evil.example/"])
def test_a_notice_never_links_off_the_site(client, owner, link):
    [notice] = notifications.notify_many(
        [notifications.Notice(owner, Notification.Kind.ROOT_CAUSE_SPIKE, None, "Spike", "", link)]
    )

    assert notice.link == ""
    assert client.get(f"/notifications/{notice.pk}/open/")["Location"] == "/notifications/"


@pytest.mark.parametrize("extra", [0, 8])
def test_the_page_costs_the_same_queries_however_many_spikes(
    client, owner, product_team, extra, django_assert_max_num_queries
):
    for i in range(extra + 1):
        spike(aged_cause(f"Cause {i}", product_team))

    with django_assert_max_num_queries(5):  # session, user, teams, spikes: however many rows
        assert client.get(URL).status_code == 200
