"""A stakeholder sees no customer's name, identity, subject or message: asserted on the
dashboard, its CSV and case list, the problem pages and the dashboard's API, over cases
whose customers have a name, an email, a phone and a social handle."""

import pytest
import time_machine

from apps.contacts.models import ContactIdentity
from apps.problems import services as problem_services
from apps.problems.models import Problem
from apps.rootcauses import rollups
from apps.rootcauses import services as rc_services
from tests.factories import (
    CaseFactory,
    ContactFactory,
    InteractionFactory,
    StakeholderFactory,
    SupervisorFactory,
    TeamFactory,
)
from tests.rootcauses.report_data import NOW

pytestmark = pytest.mark.django_db

SECRETS = [
    "Zelda Quartermain",
    "zelda.q@example.org",
    "+44 7700 900123",
    "@zeldaq_official",
    "My card ending 4242 was charged twice",
    "Please refund me, Zelda at 12 Baker Street",
]


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def world(team):
    product = TeamFactory(name="Payments product", slug="payments")
    cause = rc_services.root_cause_create(name="Double charge", owner_team=product)
    zelda = ContactFactory(name=SECRETS[0])
    for kind, value, network in (
        (ContactIdentity.Kind.EMAIL, SECRETS[1], ""),
        (ContactIdentity.Kind.PHONE, SECRETS[2], ""),
        (ContactIdentity.Kind.SOCIAL, SECRETS[3], "twitter"),
    ):
        ContactIdentity.objects.create(contact=zelda, kind=kind, value=value, network=network)
    cases = []
    for day, channel in ((3, "email"), (4, "social"), (28, "phone")):
        case = CaseFactory(
            root_cause=cause,
            team=team,
            requester=zelda,
            subject=SECRETS[4],
            channel=channel,
            created_at=NOW.replace(day=day),
        )
        InteractionFactory(case=case, body_text=SECRETS[5])
        cases.append(case)
    rollups.rollups_build(now=NOW, max_days=None, rebuild=True)
    problem = problem_services.problem_create(
        title="Renewals charged twice", root_cause=cause, actor=SupervisorFactory(teams=[team])
    )
    problem_services.problem_link_cases(
        problem_id=problem.pk, case_ids=[c.pk for c in cases], actor=None
    )
    return StakeholderFactory(teams=[product]), cause, problem, cases


def assert_no_secret(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text
        assert secret.replace("@", "&#x40;") not in text


def test_the_pages_name_no_customer(client, world):
    stakeholder, cause, problem, cases = world
    client.force_login(stakeholder)
    period = {"from": "2026-11-01", "to": "2026-11-30"}

    pages = {
        "dashboard": client.get("/root-causes/dashboard/", period),
        "csv": client.get("/root-causes/dashboard.csv", period),
        "cases": client.get("/root-causes/dashboard/cases/", {**period, "root_cause": cause.pk}),
        "problems": client.get("/problems/"),
        "problem": client.get(f"/problems/{problem.pk}/"),
    }

    for name, response in pages.items():
        assert response.status_code == 200, name
        assert_no_secret(response.content.decode())
    # What they do see: the case references and channels, the cause and the problem.
    listed = pages["cases"].content.decode()
    assert all(case.reference in listed for case in cases)
    assert "Social" in listed
    assert "Phone" in listed
    detail = pages["problem"].content.decode()
    assert all(case.reference in detail for case in cases)
    assert "Renewals charged twice" in detail
    assert f"/cases/{cases[0].pk}/" not in detail  # no link to the case page


def test_the_api_names_no_customer(token_client, world):
    stakeholder, *_ = world
    response = token_client(stakeholder, scopes=["rootcauses:read"]).get(
        "/api/v1/root-causes/dashboard/", {"from": "2026-11-01", "to": "2026-11-30"}
    )
    assert response.status_code == 200
    assert response.json()["totals"]["cases"] == 3
    assert_no_secret(response.content.decode())


def test_an_answer_failure_s_error_is_not_shown_to_them(client, world):
    stakeholder, _, problem, cases = world
    problem.events.create(
        kind="answer_failed", after={"case": cases[0].pk, "error": f"bounced: {SECRETS[1]}"}
    )
    Problem.objects.filter(pk=problem.pk).update(status="fixed")
    client.force_login(stakeholder)
    assert_no_secret(client.get(f"/problems/{problem.pk}/").content.decode())


def test_a_supervisor_still_sees_the_subjects(client, world, team):
    _, _, problem, _ = world
    client.force_login(SupervisorFactory(teams=[team]))
    assert SECRETS[4] in client.get(f"/problems/{problem.pk}/").content.decode()
