"""End to end through the beat task: cases tagged with a root cause, a spike recorded, its
owner team told once — a notification to each member, an e-mail each, one webhook event."""

import json
from datetime import timedelta

import pytest
import time_machine
from django.core import mail

from apps.notifications.models import Notification
from apps.rootcauses import tasks
from apps.rootcauses.models import RootCauseSpike
from apps.webhooks.models import WebhookDelivery
from tests.factories import AgentFactory, SupervisorFactory
from tests.rootcauses.spike_data import NOW, TODAY, add_cases, aged_cause, steady_history
from tests.webhooks.conftest import running_receiver
from tests.webhooks.factories import WebhookSubscriptionFactory

pytestmark = pytest.mark.django_db

SPIKE = Notification.Kind.ROOT_CAUSE_SPIKE


@pytest.fixture(autouse=True)
def _local_receivers_allowed(settings):
    settings.CXDESK_WEBHOOK_ALLOW_PRIVATE_TARGETS = True


@pytest.fixture
def owners(product_team):
    return [
        AgentFactory(username="pia", teams=[product_team]),
        SupervisorFactory(username="per", teams=[product_team]),
    ]


@pytest.fixture
def outsider(team):
    return AgentFactory(username="olle", teams=[team])


@pytest.fixture
def cause(product_team):
    return aged_cause("Card arrival", product_team)


@pytest.fixture
def receiver():
    with running_receiver() as receiver:
        yield receiver


@pytest.fixture
def subscribed(receiver):
    """One integration wants spikes, another only case events."""
    WebhookSubscriptionFactory(url=receiver.url, events=["rootcause.spike"])
    WebhookSubscriptionFactory(url=receiver.url, events=["case.created"])
    return receiver


def detect(at, capture):
    with time_machine.travel(at, tick=False), capture(execute=True):
        return tasks.detect_spikes.delay().get()


def test_a_spike_is_recorded_and_its_owner_team_told_once_each_way(
    cause, owners, outsider, subscribed, django_capture_on_commit_callbacks
):
    steady_history(cause, per_day=2)
    add_cases(cause, TODAY, 20)

    assert detect(NOW, django_capture_on_commit_callbacks) == 1

    spike = RootCauseSpike.objects.get()
    assert (spike.root_cause, spike.state) == (cause, RootCauseSpike.State.ACTIVE)
    assert (spike.first_day, spike.last_day, spike.observed) == (TODAY, TODAY, 20)
    assert spike.expected == pytest.approx(2.0)
    assert spike.p_value < 1e-9
    assert spike.alerted_at == NOW

    notices = Notification.objects.filter(kind=SPIKE)
    assert sorted(n.recipient.username for n in notices) == ["per", "pia"]
    assert {n.link for n in notices} == {"/root-causes/spikes/"}
    assert "Card arrival: 20 cases on 2026-03-18 where 2.0 were expected" in notices[0].text

    assert sorted(m.to[0] for m in mail.outbox) == ["per@cxdesk.test", "pia@cxdesk.test"]
    assert "/root-causes/spikes/" in mail.outbox[0].body

    delivery = WebhookDelivery.objects.get()
    assert (delivery.event, delivery.status) == (
        "rootcause.spike",
        WebhookDelivery.Status.DELIVERED,
    )
    [request] = subscribed.requests
    assert request.headers["cxdesk-event"] == "rootcause.spike"
    data = json.loads(request.body)["data"]["spike"]
    assert (data["root_cause_id"], data["observed"], data["last_day"]) == (
        cause.pk,
        20,
        "2026-03-18",
    )
    assert data["api_url"] == "/api/v1/root-causes/spikes/"


def test_running_the_task_again_alerts_nobody_again(
    cause, owners, subscribed, django_capture_on_commit_callbacks
):
    steady_history(cause, per_day=2)
    add_cases(cause, TODAY, 20)
    detect(NOW, django_capture_on_commit_callbacks)

    detect(NOW, django_capture_on_commit_callbacks)  # the same run twice
    add_cases(cause, TODAY, 5, hour=16)
    detect(NOW + timedelta(hours=2), django_capture_on_commit_callbacks)  # more cases, later

    spike = RootCauseSpike.objects.get()
    assert spike.observed == 25  # the figures follow the day
    assert spike.alerted_at == NOW
    assert Notification.objects.filter(kind=SPIKE).count() == 2
    assert len(mail.outbox) == 2
    assert WebhookDelivery.objects.count() == 1
    assert len(subscribed.requests) == 1


def test_a_spike_going_on_the_next_day_is_the_same_spike_and_ends_after_a_quiet_day(
    cause, owners, django_capture_on_commit_callbacks
):
    steady_history(cause, per_day=2)
    add_cases(cause, TODAY, 20)
    detect(NOW, django_capture_on_commit_callbacks)
    day = timedelta(days=1)

    add_cases(cause, TODAY + day, 25)
    detect(NOW + day, django_capture_on_commit_callbacks)
    spike = RootCauseSpike.objects.get()
    assert (spike.first_day, spike.last_day, spike.observed) == (TODAY, TODAY + day, 25)
    assert spike.state == RootCauseSpike.State.ACTIVE

    add_cases(cause, TODAY + 2 * day, 2)  # a quiet day: the spike may still come back today
    detect(NOW + 2 * day, django_capture_on_commit_callbacks)
    assert RootCauseSpike.objects.get().state == RootCauseSpike.State.ACTIVE

    add_cases(cause, TODAY + 3 * day, 2)  # a whole quiet day has passed
    detect(NOW + 3 * day, django_capture_on_commit_callbacks)
    spike.refresh_from_db()
    assert (spike.state, spike.ended_at) == (RootCauseSpike.State.ENDED, NOW + 3 * day)

    assert Notification.objects.filter(kind=SPIKE).count() == 2  # told once, on the first day


def test_a_spike_after_an_ended_one_is_a_new_spike_told_anew(
    cause, owners, django_capture_on_commit_callbacks
):
    steady_history(cause, per_day=2)
    add_cases(cause, TODAY, 20)
    detect(NOW, django_capture_on_commit_callbacks)
    later = TODAY + timedelta(days=10)
    for back in range(1, 10):
        add_cases(cause, later - timedelta(days=back), 2)
    detect(NOW + timedelta(days=9), django_capture_on_commit_callbacks)  # ends the first

    add_cases(cause, later, 30)
    detect(NOW + timedelta(days=10), django_capture_on_commit_callbacks)

    assert [s.state for s in RootCauseSpike.objects.order_by("pk")] == ["ended", "active"]
    assert Notification.objects.filter(kind=SPIKE).count() == 4


def test_a_steady_baseline_fires_never(cause, owners, django_capture_on_commit_callbacks):
    """Two a day for 60 days, the task run every evening for the last month: nothing."""
    steady_history(cause, per_day=2, days=60, before=TODAY + timedelta(days=1))

    for back in range(30, -1, -1):
        detect(NOW - timedelta(days=back) + timedelta(hours=8), django_capture_on_commit_callbacks)

    assert not RootCauseSpike.objects.exists()
    assert not Notification.objects.filter(kind=SPIKE).exists()
    assert mail.outbox == []


def test_inactive_members_are_not_told_and_members_without_an_address_get_no_email(
    cause, product_team, django_capture_on_commit_callbacks
):
    AgentFactory(username="gone", teams=[product_team], is_active=False)
    AgentFactory(username="noaddress", teams=[product_team], email="")
    steady_history(cause, per_day=2)
    add_cases(cause, TODAY, 20)

    detect(NOW, django_capture_on_commit_callbacks)

    assert [n.recipient.username for n in Notification.objects.filter(kind=SPIKE)] == ["noaddress"]
    assert mail.outbox == []


def test_a_young_or_retired_root_cause_is_not_tested(
    product_team, cards, owners, django_capture_on_commit_callbacks
):
    from apps.rootcauses import services

    young = aged_cause("New in March", product_team, days_old=10)
    retired = aged_cause("Old", product_team)
    services.root_cause_retire(root_cause_id=retired.pk)
    for cause in (young, retired):
        add_cases(cause, TODAY, 30)

    assert detect(NOW, django_capture_on_commit_callbacks) == 0
    assert not RootCauseSpike.objects.exists()


def test_the_settings_set_the_minimum_and_the_level(
    cause, owners, settings, django_capture_on_commit_callbacks
):
    steady_history(cause, per_day=2)
    add_cases(cause, TODAY, 20)

    settings.CXDESK_SPIKE_MIN_CASES = 21
    assert detect(NOW, django_capture_on_commit_callbacks) == 0
    settings.CXDESK_SPIKE_MIN_CASES = 5
    settings.CXDESK_SPIKE_P_VALUE = 1e-15
    assert detect(NOW, django_capture_on_commit_callbacks) == 0
    settings.CXDESK_SPIKE_P_VALUE = 1e-4
    assert detect(NOW, django_capture_on_commit_callbacks) == 1


def test_each_cause_is_tested_on_its_own_cases(
    cause, cards, product_team, owners, django_capture_on_commit_callbacks
):
    """Another cause's steady volume does not hide a spike, nor does a spike spill over."""
    other = aged_cause("Card payment", product_team)
    steady_history(cause, per_day=2)
    steady_history(other, per_day=2)
    add_cases(cause, TODAY, 20)
    add_cases(other, TODAY, 2)

    detect(NOW, django_capture_on_commit_callbacks)

    assert [s.root_cause for s in RootCauseSpike.objects.all()] == [cause]


@pytest.mark.parametrize("causes", [1, 8])
def test_a_quiet_run_costs_the_same_queries_whatever_the_taxonomy(
    product_team, causes, django_assert_num_queries
):
    from apps.rootcauses import services

    for i in range(causes):
        steady_history(aged_cause(f"Cause {i}", product_team), per_day=2, days=3)

    with time_machine.travel(NOW, tick=False), django_assert_num_queries(4):
        # the causes, their counts, ending what stopped, spikes waiting for their alert
        run = services.spikes_detect()
    assert (run.tested, run.firing, run.alerted) == (causes, [], 0)


def test_beat_runs_the_spike_task(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["detect-root-cause-spikes"]
    assert entry["task"] == tasks.detect_spikes.name
    assert entry["schedule"] == 900


def test_integrations_can_subscribe_to_spikes(admin_api):
    response = admin_api.post(
        "/api/v1/webhooks/",
        {"url": "https://hooks.example.com/cx", "events": ["rootcause.spike"]},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["events"] == ["rootcause.spike"]
