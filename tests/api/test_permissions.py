"""Who sees and changes what: agents and supervisors their teams, admins all, tokens scopes."""

import pytest
from rest_framework.test import APIClient

from apps.api.models import ApiToken
from apps.api.services import api_token_create, api_token_revoke
from apps.cases.models import Case, Interaction
from apps.contacts.models import Contact
from tests.factories import AgentFactory, CaseFactory, SupervisorFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def cases(team, other_team):
    return {
        "ours": CaseFactory(team=team, subject="ours"),
        "theirs": CaseFactory(team=other_team, subject="theirs"),
    }


def _subjects(client):
    response = client.get("/api/v1/cases/")
    assert response.status_code == 200, response.content
    return {c["subject"] for c in response.json()["results"]}


@pytest.mark.parametrize("role", ["agent", "supervisor"])
def test_agents_and_supervisors_see_their_teams_cases(role, team, cases, token_client):
    user = (AgentFactory if role == "agent" else SupervisorFactory)(teams=[team])
    api = token_client(user)
    assert _subjects(api) == {"ours"}
    assert api.get(f"/api/v1/cases/{cases['ours'].pk}/").status_code == 200
    for url in (
        f"/api/v1/cases/{cases['theirs'].pk}/",
        f"/api/v1/cases/{cases['theirs'].pk}/interactions/",
        f"/api/v1/cases/{cases['theirs'].pk}/sla/",
    ):
        response = api.get(url)
        assert response.status_code == 404, url
        assert response.json() == api.get("/api/v1/cases/99999999/").json()  # no leak
    patch = api.patch(f"/api/v1/cases/{cases['theirs'].pk}/", {"priority": "high"}, format="json")
    assert patch.status_code == 404


def test_an_agent_sees_a_case_assigned_to_them_in_another_team(agent, other_team, token_client):
    mine = CaseFactory(team=other_team, assignee=agent, subject="mine")
    assert _subjects(token_client(agent)) == {"mine"}
    assert mine


def test_an_admin_sees_every_case(admin_api, cases):
    assert _subjects(admin_api) == {"ours", "theirs"}


def test_the_browser_session_works_too(client, agent, cases):
    client.force_login(agent)
    response = client.get("/api/v1/cases/")
    assert {c["subject"] for c in response.json()["results"]} == {"ours"}


def test_no_credentials_is_401_with_a_challenge(cases):
    response = APIClient().get("/api/v1/cases/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert response.json()["error"]["code"] == "not_authenticated"


@pytest.mark.parametrize(
    "header",
    ["Bearer cxd_abc_def", "Bearer ", "Bearer garbage", "Bearer cxd_" + "a" * 12 + "_" + "b" * 43],
)
def test_a_bad_token_is_401(header, cases):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    response = client.get("/api/v1/cases/")
    assert response.status_code == 401
    assert response.json()["error"]["status"] == 401


def test_a_revoked_token_stops_working(admin_user, cases):
    token, key = api_token_create(owner=admin_user, name="crm", scopes=["cases:read"])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    assert client.get("/api/v1/cases/").status_code == 200
    api_token_revoke(token_id=token.pk)
    assert client.get("/api/v1/cases/").status_code == 401


def test_a_token_of_a_deactivated_user_stops_working(agent, token_client, cases):
    api = token_client(agent)
    agent.is_active = False
    agent.save()
    assert api.get("/api/v1/cases/").status_code == 401


def test_tokens_are_stored_hashed_and_record_their_use(admin_user, cases):
    token, key = api_token_create(owner=admin_user, name="crm", scopes=["cases:read"])
    assert key.startswith(f"cxd_{token.prefix}_")
    assert key not in token.key_hash
    assert len(token.key_hash) == 64
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    client.get("/api/v1/cases/")
    token.refresh_from_db()
    assert token.last_used_at is not None


@pytest.mark.parametrize(
    ("scopes", "method", "url", "expected"),
    [
        (["cases:read"], "get", "/api/v1/cases/", 200),
        (["cases:read"], "post", "/api/v1/cases/", 403),
        (["cases:read"], "patch", "/api/v1/cases/{case}/", 403),
        (["cases:read"], "post", "/api/v1/cases/{case}/interactions/", 403),
        # A write scope includes reading the same resource, and only that resource.
        (["cases:write"], "get", "/api/v1/cases/", 200),
        (["cases:write"], "get", "/api/v1/cases/{case}/", 200),
        (["cases:write"], "get", "/api/v1/cases/{case}/interactions/", 200),
        (["cases:write"], "patch", "/api/v1/cases/{case}/", 200),
        (["cases:write"], "get", "/api/v1/contacts/", 403),
        (["contacts:write"], "get", "/api/v1/contacts/", 200),
        (["contacts:write"], "get", "/api/v1/cases/", 403),
        (["webhooks:write"], "get", "/api/v1/webhooks/", 200),
        (["webhooks:read"], "post", "/api/v1/webhooks/", 403),
        (["cases:read", "cases:write"], "patch", "/api/v1/cases/{case}/", 200),
        (["contacts:read"], "get", "/api/v1/cases/", 403),
        (["contacts:read"], "get", "/api/v1/contacts/", 200),
        (["cases:read"], "get", "/api/v1/contacts/", 403),
        (["contacts:read"], "post", "/api/v1/contacts/", 403),
        (["cases:read"], "get", "/api/v1/teams/", 200),
        (["cases:read"], "get", "/api/v1/tags/", 200),
    ],
)
def test_token_scopes(scopes, method, url, expected, admin_user, token_client, cases):
    api = token_client(admin_user, scopes=scopes)
    case = cases["ours"]
    body = (
        {"priority": "high"}
        if method == "patch"
        else {"type": "note", "body_text": "x"}
        if "interactions" in url
        else {"subject": "x", "requester": {"email": "a@example.com"}}
    )
    counts_before = (Case.objects.count(), Interaction.objects.count(), Contact.objects.count())
    if method == "get":
        response = api.get(url.format(case=case.pk))
    else:
        response = getattr(api, method)(url.format(case=case.pk), body, format="json")
    assert response.status_code == expected, response.content
    if expected == 403:
        assert "scope" in response.json()["error"]["message"]
        case.refresh_from_db()
        assert case.priority == Case.Priority.NORMAL
        assert (
            Case.objects.count(),
            Interaction.objects.count(),
            Contact.objects.count(),
        ) == counts_before  # nothing was created


def test_token_creation_validates_scopes(admin_user):
    from apps.api.services import TokenError

    with pytest.raises(TokenError, match="unknown scopes: cases:delete"):
        api_token_create(owner=admin_user, name="x", scopes=["cases:delete"])
    with pytest.raises(TokenError, match="at least one scope"):
        api_token_create(owner=admin_user, name="x", scopes=[])
    assert not ApiToken.objects.exists()


def test_a_write_scope_reads_its_own_resource_only(admin_user, token_client, cases):
    """The decision (as restricted keys and fine-grained tokens elsewhere): write includes read
    of the same resource, so a no-op PATCH reveals nothing a GET would not."""
    api = token_client(admin_user, scopes=["cases:write"])
    case = cases["ours"]
    assert api.get(f"/api/v1/cases/{case.pk}/").json()["id"] == case.pk
    assert api.get("/api/v1/calls/").status_code == 200
    assert api.get("/api/v1/chat/sessions/").status_code == 200
    refused = api.get("/api/v1/contacts/")
    assert refused.status_code == 403
    assert refused.json()["error"]["message"] == "This token lacks the contacts:read scope."


def test_the_scope_rule_is_documented_where_integrators_read_it(admin_client, client):
    from pathlib import Path

    import yaml

    rule = "also reads the same resource"
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    assert "a write scope also reads the same resource" in readme
    schema = yaml.safe_load(client.get("/api/schema/").content)
    assert rule in schema["info"]["description"]
    form = admin_client.get("/admin/api/apitoken/add/").content.decode()
    assert "A write scope includes reading the same resource" in form
