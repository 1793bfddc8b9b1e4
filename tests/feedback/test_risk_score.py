"""The at-risk score: the formula by hand, its reasons adding up to it, recomputed when a
customer's cases change, listed for supervisors only."""

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from apps.cases import services as case_services
from apps.feedback import risk, services, tasks
from apps.feedback.models import ContactRisk, Survey
from tests.factories import AgentFactory, SupervisorFactory

from .conftest import SOLVED_AT

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def test_points_by_hand():
    assert risk.points(risk.Signal("bad_rating", NOW), NOW) == 40.0
    assert risk.points(risk.Signal("bad_rating", NOW - timedelta(days=30)), NOW) == 20.0
    assert risk.points(risk.Signal("bad_rating", NOW - timedelta(days=60)), NOW) == 10.0
    assert risk.points(risk.Signal("sla_breach", NOW - timedelta(days=14)), NOW) == 4.0
    assert risk.points(risk.Signal("reopened", NOW - timedelta(days=181)), NOW) == 0.0
    # waiting: nothing for two days, then 3 a day, at most 30
    assert risk.points(risk.Signal("waiting", NOW - timedelta(days=2)), NOW) == 0.0
    assert risk.points(risk.Signal("waiting", NOW - timedelta(days=4)), NOW) == 6.0
    assert risk.points(risk.Signal("waiting", NOW - timedelta(days=40)), NOW) == 30.0


def test_score_is_the_sum_of_its_reasons_biggest_first():
    total, reasons = risk.score(
        [
            risk.Signal("sla_breach", NOW - timedelta(days=1), 7, "CX-000007"),
            risk.Signal("bad_rating", NOW - timedelta(days=30), 7, "CX-000007"),
            risk.Signal("reopened", NOW - timedelta(days=400), 8, "CX-000008"),
        ],
        NOW,
    )
    assert [r["kind"] for r in reasons] == ["bad_rating", "sla_breach"]
    assert total == 20.0 + round(8 * 0.5 ** (1 / 14), 1) == 27.6
    assert reasons[0]["reference"] == "CX-000007"


kinds = st.sampled_from([*risk.WEIGHT, "waiting"])
ages = st.floats(min_value=0, max_value=400, allow_nan=False)


@given(st.lists(st.tuples(kinds, ages), max_size=40))
def test_reasons_always_add_up_to_the_score(signals):
    total, reasons = risk.score(
        [risk.Signal(kind, NOW - timedelta(days=age)) for kind, age in signals], NOW
    )
    assert total == round(sum(r["points"] for r in reasons), 1)
    assert all(r["points"] > 0 for r in reasons)
    assert total >= 0


@pytest.mark.django_db
def test_a_bad_rating_and_a_reopen_make_a_customer_at_risk(
    clock, committed, make_case, agent, supervisor, client
):
    case = make_case()
    clock.move_to(SOLVED_AT + timedelta(hours=2))
    committed(tasks.send_due_surveys)
    survey = Survey.objects.get(case=case)
    committed(services.survey_answer, survey_id=survey.pk, rating=0, comment="Awful")
    row = ContactRisk.objects.get(contact=case.requester)
    assert row.score == 40.0
    assert [r["kind"] for r in row.reasons] == ["bad_rating"]

    committed(case_services.case_reopen, case_id=case.pk, actor=agent)
    row.refresh_from_db()
    assert row.score == 50.0  # recomputed by the seam's after-commit task
    assert sum(r["points"] for r in row.reasons) == row.score

    client.force_login(supervisor)
    html = client.get(reverse("feedback:at-risk")).content.decode()
    assert case.requester.name in html
    assert "rated the service bad" in html
    assert "a case was reopened" in html
    page = client.get(reverse("feedback:case-panel", args=[case.pk])).content.decode()
    assert "At risk: 50.0 points" in page


@pytest.mark.django_db
def test_the_score_fades_with_the_hourly_refresh(clock, committed, make_case):
    case = make_case()
    clock.move_to(SOLVED_AT + timedelta(hours=2))
    committed(tasks.send_due_surveys)
    committed(services.survey_answer, survey_id=Survey.objects.get(case=case).pk, rating=0)
    clock.move_to(SOLVED_AT + timedelta(hours=2, days=30))
    assert tasks.refresh_risk_scores() >= 1
    assert ContactRisk.objects.get(contact=case.requester).score == 20.0


@pytest.mark.django_db
def test_a_case_left_waiting_counts(clock, make_case):
    case = make_case(answered=False, solved=False)
    clock.move_to(SOLVED_AT + timedelta(days=5))
    tasks.refresh_risk_scores()
    row = ContactRisk.objects.get(contact=case.requester)
    assert row.score == 9.0
    assert row.reasons[0]["kind"] == "waiting"


@pytest.mark.django_db
def test_recompute_costs_a_constant_number_of_queries(
    clock, make_case, django_assert_max_num_queries
):
    contacts = [make_case().requester_id for _ in range(2)]
    with django_assert_max_num_queries(12) as few:
        services.contacts_risk_recompute(contact_ids=contacts)
    contacts += [make_case().requester_id for _ in range(6)]
    with django_assert_max_num_queries(len(few.captured_queries)):
        services.contacts_risk_recompute(contact_ids=contacts)


@pytest.mark.django_db
def test_at_risk_list_is_for_supervisors_of_the_customers_teams(
    client, clock, committed, make_case, other_team
):
    case = make_case()
    ContactRisk.objects.create(contact=case.requester, score=45, reasons=[], computed_at=NOW)
    client.force_login(AgentFactory(username="a9", teams=[case.team]))
    assert client.get(reverse("feedback:at-risk")).status_code == 403
    client.force_login(SupervisorFactory(username="s9", teams=[other_team]))
    html = client.get(reverse("feedback:at-risk")).content.decode()
    assert case.requester.name not in html
    client.force_login(SupervisorFactory(username="s8", teams=[case.team]))
    assert case.requester.name in client.get(reverse("feedback:at-risk")).content.decode()
