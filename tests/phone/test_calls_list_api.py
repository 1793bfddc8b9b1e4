"""GET /api/v1/calls/: filters, cursor pages and a constant number of queries."""

from datetime import timedelta

import pytest

from apps.phone import services
from tests.factories import AgentFactory, CaseFactory
from tests.phone.conftest import OUR_LINE, T0

pytestmark = pytest.mark.django_db
URL = "/api/v1/calls/"


def _call(
    sid,
    number,
    *,
    team,
    direction="inbound",
    status="completed",
    agent=None,
    minutes=0,
    disposition=None,
):
    case = CaseFactory(team=team, status="open")
    customer = {"from_number": number} if direction == "inbound" else {"to_number": number}
    return services.call_record(
        sid=sid,
        direction=direction,
        status=status,
        agent=agent,
        case=case,
        started_at=T0 + timedelta(minutes=minutes),
        disposition=disposition,
        **customer,
    )[0]


@pytest.fixture
def spread(team, agent):
    return {
        "ann_in": _call(
            "CA-1", "+12025550143", team=team, minutes=1, agent=agent, disposition="resolved"
        ),
        "ann_out": _call(
            "CA-2", "+12025550143", team=team, direction="outbound", minutes=2, status="no-answer"
        ),
        "bob_in": _call("CA-3", "+12025550199", team=team, minutes=3, status="busy"),
    }


def _sids(response):
    assert response.status_code == 200, response.content
    return [c["sid"] for c in response.json()["results"]]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["CA-3", "CA-2", "CA-1"]),
        ("direction=outbound", ["CA-2"]),
        ("status=busy&status=no-answer", ["CA-3", "CA-2"]),
        ("disposition=resolved", ["CA-1"]),
        ("number=(202) 555-0143", ["CA-2", "CA-1"]),
        ("agent=me", ["CA-1"]),
        ("agent=none", ["CA-3", "CA-2"]),
        ("started_after=2025-03-03T09:02:00Z", ["CA-3", "CA-2"]),
        ("started_before=2025-03-03T09:02:00Z", ["CA-1"]),
    ],
)
def test_filters(agent_api, spread, query, expected):
    assert _sids(agent_api.get(f"{URL}?{query}")) == expected


def test_filter_by_case_and_contact(agent_api, spread):
    call = spread["ann_in"]
    assert _sids(agent_api.get(f"{URL}?case={call.case_id}")) == ["CA-1"]
    assert _sids(agent_api.get(f"{URL}?contact={call.contact_id}")) == ["CA-2", "CA-1"]


def test_cursor_pages(agent_api, spread):
    first = agent_api.get(f"{URL}?page_size=2").json()
    assert [c["sid"] for c in first["results"]] == ["CA-3", "CA-2"]
    second = agent_api.get(first["next"]).json()
    assert [c["sid"] for c in second["results"]] == ["CA-1"]


def test_the_list_runs_a_constant_number_of_queries(agent_api, team, django_assert_max_num_queries):
    for n in range(30):
        _call(f"CA-q{n}", f"+1202555{n:04d}", team=team, agent=AgentFactory(teams=[team]))
    with django_assert_max_num_queries(5):
        response = agent_api.get(f"{URL}?page_size=30")
    assert len(response.json()["results"]) == 30
    assert all(c["agent"] and c["contact"] and c["case"] for c in response.json()["results"])


def test_an_admin_list_is_constant_too(admin_api, team, django_assert_max_num_queries):
    for n in range(10):
        _call(f"CA-a{n}", f"+1202555{n:04d}", team=team)
    with django_assert_max_num_queries(5):
        response = admin_api.get(URL)
    assert len(response.json()["results"]) == 10


def test_the_outbound_call_is_listed_with_our_line(agent_api, team):
    case = CaseFactory(team=team)
    services.call_record(
        sid="CA-o", direction="outbound", from_number=OUR_LINE, to_number="+12025550143", case=case
    )
    assert agent_api.get(URL).json()["results"][0]["from_number"] == OUR_LINE
