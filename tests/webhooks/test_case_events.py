"""Case services announce their changes to webhook subscribers, sent once committed."""

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.cases import services as cases
from apps.webhooks.models import WebhookDelivery
from tests.factories import AgentFactory, CaseFactory, ContactFactory
from tests.webhooks.factories import WebhookSubscriptionFactory

pytestmark = pytest.mark.django_db


def test_opening_a_case_sends_case_created_and_interaction_created(
    receiver, subscription, team, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        case = cases.case_open(
            requester=ContactFactory(),
            subject="Charged twice",
            channel="email",
            team=team,
            body_text="Please refund",
        ).case

    assert [r.headers["cxdesk-event"] for r in receiver.requests] == [
        "case.created",
        "interaction.created",
    ]
    created = WebhookDelivery.objects.get(event="case.created").payload["data"]
    assert created["case"]["id"] == case.pk
    assert created["case"]["team_id"] == team.pk
    message = WebhookDelivery.objects.get(event="interaction.created").payload["data"]
    assert message["interaction"]["body_text"] == "Please refund"
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {"delivered"}


def test_a_change_sends_case_updated_with_the_changed_fields(
    receiver, subscription, team, agent, django_capture_on_commit_callbacks
):
    case = cases.case_open(
        requester=ContactFactory(), subject="Late parcel", channel="email", team=team
    ).case

    with django_capture_on_commit_callbacks(execute=True):
        cases.case_assign(case_id=case.pk, assignee=agent, actor=agent)

    [update] = WebhookDelivery.objects.filter(event="case.updated")
    assert update.payload["data"]["changed"] == ["assignee", "status"]
    assert update.payload["data"]["case"]["assignee_id"] == agent.pk
    assert update.status == "delivered"


def test_a_customer_reply_to_a_solved_case_sends_the_message_and_the_reopening(subscription, team):
    case = CaseFactory(team=team, status="solved", solved_at=timezone.now())

    cases.interaction_add(
        case_id=case.pk,
        channel="email",
        direction="in",
        author_contact=case.requester,
        body_text="Still broken",
    )

    events = list(WebhookDelivery.objects.order_by("pk").values_list("event", flat=True))
    assert events == ["interaction.created", "case.updated"]
    update = WebhookDelivery.objects.get(event="case.updated").payload["data"]
    assert update["case"]["status"] == "open"
    assert "status" in update["changed"]


def test_an_owner_outside_the_team_hears_nothing(team, other_team):
    WebhookSubscriptionFactory(owner=AgentFactory(teams=[other_team]))

    cases.case_open(requester=ContactFactory(), subject="Hidden", channel="email", team=team)

    assert not WebhookDelivery.objects.exists()


def test_the_auto_close_sweep_announces_each_closed_case(
    subscription, django_assert_max_num_queries
):
    solved_at = timezone.now() - timedelta(days=30)
    closed = CaseFactory.create_batch(3, status="solved", solved_at=solved_at)

    with django_assert_max_num_queries(9):  # the sweep's 5, subscribers, the cases, insert
        assert cases.cases_close_solved() == 3

    data = [d.payload["data"] for d in WebhookDelivery.objects.filter(event="case.updated")]
    assert sorted(d["case"]["id"] for d in data) == sorted(c.pk for c in closed)
    assert {d["case"]["status"] for d in data} == {"closed"}
