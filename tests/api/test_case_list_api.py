from datetime import timedelta

import pytest
from django.utils import timezone

from apps.cases import services
from tests.factories import AgentFactory, CaseFactory, ContactFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/cases/"


def _ids(response):
    assert response.status_code == 200, response.content
    return [c["id"] for c in response.json()["results"]]


@pytest.fixture
def spread(team, other_team, agent):
    now = timezone.now()
    ann = ContactFactory(name="Ann")
    return {
        "old_email": CaseFactory(
            channel="email",
            status="open",
            team=team,
            requester=ann,
            created_at=now - timedelta(days=10),
            subject="Refund please",
        ),
        "phone_urgent": CaseFactory(
            channel="phone",
            status="new",
            priority="urgent",
            team=team,
            created_at=now - timedelta(days=2),
        ),
        "chat_mine": CaseFactory(
            channel="chat",
            status="pending",
            team=team,
            assignee=agent,
            created_at=now - timedelta(hours=5),
        ),
        "social_other": CaseFactory(
            channel="social", status="solved", team=other_team, created_at=now - timedelta(hours=1)
        ),
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=open", ["old_email"]),
        ("status=open&status=new", ["phone_urgent", "old_email"]),
        ("priority=urgent", ["phone_urgent"]),
        ("channel=chat&channel=social", ["social_other", "chat_mine"]),
        ("team={other}", ["social_other"]),
        ("assignee=me", ["chat_mine"]),
        ("assignee=none", ["social_other", "phone_urgent", "old_email"]),
        ("assignee={agent}", ["chat_mine"]),
        ("requester={ann}", ["old_email"]),
        ("tag=vip", ["phone_urgent"]),
        ("q=refund", ["old_email"]),
        ("q={ref}", ["chat_mine"]),
        ("created_after={three_days_ago}", ["social_other", "chat_mine", "phone_urgent"]),
        ("created_before={three_days_ago}", ["old_email"]),
        ("ordering=created_at", ["old_email", "phone_urgent", "chat_mine", "social_other"]),
    ],
)
def test_filters(query, expected, spread, admin_api, agent, other_team, token_client):
    services.case_set_tags(case_id=spread["phone_urgent"].pk, tags=["VIP"], actor=agent)
    api = token_client(agent) if "me" in query else admin_api
    values = {
        "other": other_team.pk,
        "agent": agent.pk,
        "ann": spread["old_email"].requester_id,
        "ref": spread["chat_mine"].reference,
        "three_days_ago": (timezone.now() - timedelta(days=3)).isoformat().replace("+00:00", "Z"),
    }
    response = api.get(f"{URL}?{query.format(**values)}")
    assert _ids(response) == [spread[name].pk for name in expected]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("status=lost", "status"),
        ("priority=p0", "priority"),
        ("team=abc", "team"),
        ("team=" + "9" * 30, "team"),
        ("requester=-1", "requester"),
        ("assignee=" + "9" * 30, "assignee"),
        ("team=1.5", "team"),
        ("created_after=yesterday", "created_after"),
        ("assignee=bob", "assignee"),
        ("ordering=subject", None),
    ],
)
def test_bad_filters_are_400(query, field, admin_api, spread):
    response = admin_api.get(f"{URL}?{query}")
    if field is None:  # an unknown ordering field is ignored, as DRF documents
        assert response.status_code == 200
        return
    assert response.status_code == 400, response.content
    assert field in response.json()["error"]["fields"]


def test_cursor_pagination_walks_every_case_once(admin_api, team):
    created = CaseFactory.create_batch(7, team=team)
    seen, url, pages = [], f"{URL}?page_size=3", 0
    while url:
        body = admin_api.get(url).json()
        seen += [c["id"] for c in body["results"]]
        url, pages = body["next"], pages + 1
    assert pages == 3
    assert sorted(seen) == sorted(c.pk for c in created)
    assert len(seen) == 7


def test_a_bad_cursor_is_404(admin_api):
    response = admin_api.get(f"{URL}?cursor=not-a-cursor")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_the_list_costs_the_same_queries_for_2_or_100_cases(
    admin_api, agent, team, token_client, django_assert_max_num_queries
):
    api = token_client(agent)
    CaseFactory.create_batch(2, team=team, assignee=agent)
    with django_assert_max_num_queries(20) as few:
        assert len(api.get(f"{URL}?page_size=100").json()["results"]) == 2
    many = CaseFactory.create_batch(98, team=team, assignee=AgentFactory(teams=[team]))
    for case in many[:20]:
        services.case_set_tags(case_id=case.pk, tags=["a", "b"], actor=agent)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(api.get(f"{URL}?page_size=100").json()["results"]) == 100
