"""event_emit writes one pending delivery per subscriber allowed to see the event, cheaply."""

import datetime as dt
import uuid
from decimal import Decimal

import pytest
from django.db import transaction

from apps.webhooks import services
from apps.webhooks.models import WebhookDelivery
from tests.factories import AdminFactory, AgentFactory, CaseFactory, UserFactory
from tests.webhooks.factories import WebhookSubscriptionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(team):
    return CaseFactory(team=team)


def _recipients(**emit) -> set[int]:
    services.event_emit(**emit)
    return set(WebhookDelivery.objects.values_list("subscription_id", flat=True))


def test_only_active_subscriptions_to_that_event_get_a_delivery(case, admin_user):
    wants = WebhookSubscriptionFactory(owner=admin_user, events=["case.created"])
    other_event = WebhookSubscriptionFactory(owner=admin_user, events=["interaction.created"])
    inactive = WebhookSubscriptionFactory(owner=admin_user, is_active=False)

    assert services.event_emit(event="case.created", data={"case": {"id": case.pk}}, case=case) == 1

    assert _recipients(event="case.created", data={}, case=case) == {wants.pk}
    assert not WebhookDelivery.objects.filter(subscription__in=[other_event, inactive]).exists()


def test_owners_receive_only_events_about_cases_they_may_see(case, team, other_team, agent):
    admin = WebhookSubscriptionFactory(owner=AdminFactory())
    superuser = WebhookSubscriptionFactory(owner=UserFactory(is_superuser=True))  # no profile
    same_team = WebhookSubscriptionFactory(owner=agent)
    elsewhere = WebhookSubscriptionFactory(owner=AgentFactory(teams=[other_team]))
    assignee = AgentFactory(teams=[other_team])
    assigned = WebhookSubscriptionFactory(owner=assignee)
    gone = WebhookSubscriptionFactory(owner=AdminFactory(is_active=False))
    case.assignee = assignee
    case.save()

    recipients = _recipients(event="case.updated", data={}, case=case)

    assert recipients == {admin.pk, superuser.pk, same_team.pk, assigned.pk}
    assert elsewhere.pk not in recipients
    assert gone.pk not in recipients


def test_an_agent_in_another_team_gets_nothing(case, other_team):
    WebhookSubscriptionFactory(owner=AgentFactory(teams=[other_team]))

    assert services.event_emit(event="case.created", data={}, case=case) == 0
    assert services.event_emit(event="case.created", data={}, case=CaseFactory()) == 0
    assert not WebhookDelivery.objects.exists()


def test_an_event_without_a_case_goes_to_every_subscriber(other_team):
    subscriptions = {
        WebhookSubscriptionFactory(owner=AgentFactory(teams=[other_team])).pk,
        WebhookSubscriptionFactory().pk,
    }

    assert _recipients(event="sla.breached", data={"policy": "gold"}) == subscriptions


def test_the_payload_is_json_safe_and_shares_one_event_id(case):
    WebhookSubscriptionFactory.create_batch(2)
    when = dt.datetime(2025, 1, 31, 9, 30, tzinfo=dt.UTC)
    ref = uuid.uuid4()

    services.event_emit(
        event="case.created", case=case, data={"at": when, "ref": ref, "amount": Decimal("9.90")}
    )

    first, second = WebhookDelivery.objects.order_by("pk")
    assert first.event_id == second.event_id
    assert first.payload == second.payload
    payload = first.payload
    assert payload["id"] == str(first.event_id)
    assert payload["event"] == "case.created"
    assert payload["data"] == {"at": "2025-01-31T09:30:00Z", "ref": str(ref), "amount": "9.90"}
    assert dt.datetime.fromisoformat(payload["created_at"]).tzinfo is not None
    assert first.status == WebhookDelivery.Status.PENDING
    assert first.next_attempt_at is not None


def test_an_unknown_event_is_a_programming_error(case):
    with pytest.raises(ValueError, match="unknown webhook event"):
        services.event_emit(event="case.exploded", data={}, case=case)


def test_it_costs_one_query_when_nobody_subscribes(case, django_assert_num_queries):
    with django_assert_num_queries(1):
        assert services.event_emit(event="case.created", data={}, case=case) == 0


@pytest.mark.parametrize(("count", "expected"), [(1, 1), (5, 4)])
def test_it_costs_a_constant_number_of_queries(
    count, expected, case, team, other_team, django_assert_max_num_queries
):
    owners = [  # every branch of the visibility rule
        AdminFactory,
        lambda: AgentFactory(teams=[team]),
        lambda: AgentFactory(teams=[other_team]),  # does not see the case
        lambda: UserFactory(teams=[team]),  # a member without a profile
        lambda: UserFactory(is_superuser=True),
    ]
    for make_owner in owners[:count]:
        WebhookSubscriptionFactory(owner=make_owner())

    services.any_active_subscription()  # steady state: the flag is cached
    with django_assert_max_num_queries(3):
        services.event_emit(event="case.created", data={}, case=case)

    assert WebhookDelivery.objects.count() == expected


def test_a_batch_of_events_costs_a_constant_number_of_queries(
    team, other_team, agent, django_assert_max_num_queries
):
    team_sub = WebhookSubscriptionFactory(owner=agent)
    admin_sub = WebhookSubscriptionFactory(owner=AdminFactory())
    services.any_active_subscription()  # steady state: the flag is cached
    cases = [CaseFactory(team=team), CaseFactory(team=other_team), CaseFactory(assignee=agent)]

    with django_assert_max_num_queries(3):
        created = services.events_emit(
            event="case.updated", items=[({"case": {"id": c.pk}}, c) for c in cases]
        )

    assert created == 5  # the admin gets 3, the agent their team's case and their own
    pairs = set(WebhookDelivery.objects.values_list("subscription_id", "payload__data__case__id"))
    assert pairs == {(admin_sub.pk, c.pk) for c in cases} | {
        (team_sub.pk, cases[0].pk),
        (team_sub.pk, cases[2].pk),
    }
    assert WebhookDelivery.objects.values("event_id").distinct().count() == 3


def test_a_rolled_back_write_leaves_no_delivery_and_sends_nothing(
    case, receiver, subscription, django_capture_on_commit_callbacks
):
    def emit_then_fail():
        with transaction.atomic():
            services.event_emit(event="case.created", data={}, case=case)
            raise RuntimeError("the case write failed")

    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(RuntimeError):
        emit_then_fail()

    assert callbacks == []
    assert not WebhookDelivery.objects.exists()
    assert receiver.requests == []


def test_a_committed_event_is_sent_after_commit(
    case, receiver, subscription, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        with transaction.atomic():
            services.event_emit(event="case.created", data={"case": {"id": case.pk}}, case=case)
        assert receiver.requests == []  # nothing leaves before the commit

    for callback in callbacks:
        callback()

    [request] = receiver.requests
    assert request.headers["cxdesk-event"] == "case.created"
    assert WebhookDelivery.objects.get().status == WebhookDelivery.Status.DELIVERED


def test_with_nobody_subscribed_a_warm_cache_costs_no_query(case, django_assert_num_queries):
    services.any_active_subscription()
    with django_assert_num_queries(0):
        assert services.event_emit(event="case.created", data={}, case=case) == 0


def test_a_new_subscription_is_seen_at_once(case, django_capture_on_commit_callbacks):
    assert services.any_active_subscription() is False
    WebhookSubscriptionFactory(owner=AdminFactory())
    assert services.event_emit(event="case.created", data={}, case=case) == 1
