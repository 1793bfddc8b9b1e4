"""A stakeholder reaches only the URLs apps/accounts/confinement.py lists: every URL pattern
of the project is walked (so a page added later is covered without touching this test), by
session and by API token, and each one not listed must refuse them."""

import re

import pytest
from django.urls import Resolver404, URLPattern, URLResolver, get_resolver, resolve

from apps.accounts.confinement import STAKEHOLDER_URLS
from tests.factories import StakeholderFactory, TeamFactory

pytestmark = pytest.mark.django_db

SAMPLES = {"int": "1", "slug": "x", "str": "x", "uuid": "00000000-0000-0000-0000-000000000001"}


def _route_example(route: str) -> str:
    return re.sub(r"<(?:(\w+):)?(\w+)>", lambda m: SAMPLES.get(m.group(1) or "str", "x"), route)


def _regex_example(regex: str) -> str:
    text = regex.lstrip("^").rstrip("$").removeprefix("\\A").removesuffix("\\Z")
    # Named groups: a value their pattern accepts (digits fit \d+, [^/.]+, .+ and [a-z0-9]+).
    text = re.sub(
        r"\(\?P<\w+>([^()]*)\)",
        lambda m: m.group(1).split("|")[0] if "|" in m.group(1) else "1",
        text,
    )
    text = re.sub(r"\((?!\?P)[^()]*\)\?", "", text)  # optional parts: left out
    text = text.replace("/?", "/").replace("\\.", ".").replace("\\-", "-").replace("\\", "")
    return text.replace("?", "")


def _example(pattern) -> str:
    route = getattr(pattern.pattern, "_route", None)
    if route is not None:
        return _route_example(route)
    return _regex_example(pattern.pattern.regex.pattern)


def walk(patterns=None, prefix: str = "", namespace: str = ""):
    """(view name, example path) of every URL pattern of the project."""
    if patterns is None:
        patterns = get_resolver().url_patterns
    for pattern in patterns:
        path = prefix + _example(pattern)
        if isinstance(pattern, URLResolver):
            ns = namespace
            if pattern.namespace:
                ns = f"{namespace}{pattern.namespace}:"
            yield from walk(pattern.url_patterns, path, ns)
        elif isinstance(pattern, URLPattern):
            yield (f"{namespace}{pattern.name}" if pattern.name else None), "/" + path


ALL = list(walk())


def _refused(response) -> bool:
    return response.status_code in (403, 404)


@pytest.fixture
def stakeholder():
    return StakeholderFactory(username="pia.product", teams=[TeamFactory(name="Card product")])


def test_the_walk_finds_the_project_and_every_path_resolves_to_its_pattern():
    names = {name for name, _ in ALL}
    assert len(ALL) > 100
    assert {"home", "case-detail", "admin:index", "api:case-list"} <= names

    def view_name(path):
        try:
            return resolve(path).view_name
        except Resolver404:
            return None

    wrong = [(name, path) for name, path in ALL if name and view_name(path) != name]
    assert wrong == []


def test_every_listed_url_exists():
    names = {name for name, _ in ALL}
    assert names >= STAKEHOLDER_URLS


@pytest.mark.parametrize(("name", "path"), [p for p in ALL if p[0] not in STAKEHOLDER_URLS])
def test_a_stakeholder_is_refused_every_url_not_listed(client, stakeholder, name, path):
    client.force_login(stakeholder)
    for method in (client.get, client.post):
        response = method(path)
        if name == "home":  # the queue sends them to their dashboard
            assert response.status_code == 302
            assert response["Location"] == "/root-causes/dashboard/"
            continue
        assert _refused(response), f"{name} {path} answered {response.status_code}"


@pytest.mark.parametrize(
    ("name", "path"),
    [p for p in ALL if p[1].startswith("/api/") and p[0] not in STAKEHOLDER_URLS],
)
def test_a_stakeholders_token_is_refused_every_api_url_not_listed(
    token_client, stakeholder, name, path
):
    api = token_client(stakeholder)
    for method in (api.get, api.post):
        response = method(path)
        assert _refused(response), f"{name} {path} answered {response.status_code}"
        if response.status_code == 403 and response["Content-Type"].startswith("application/json"):
            assert response.json()["error"]["code"] == "permission_denied"


@pytest.mark.parametrize(
    "name", ["rootcauses:dashboard", "problems:list", "account-settings", "password_change"]
)
def test_a_stakeholder_opens_the_listed_pages(client, stakeholder, name):
    from django.urls import reverse

    client.force_login(stakeholder)
    assert client.get(reverse(name)).status_code == 200


def test_the_dashboards_api_answers_a_stakeholders_token(token_client, stakeholder):
    response = token_client(stakeholder, scopes=["rootcauses:read"]).get(
        "/api/v1/root-causes/dashboard/"
    )
    assert response.status_code == 200, response.content


def test_an_agent_is_not_confined(client, agent):
    client.force_login(agent)
    assert client.get("/").status_code == 200


def test_a_stakeholder_signs_in_to_the_dashboard_and_out(client, stakeholder):
    response = client.post(
        "/accounts/login/", {"username": "pia.product", "password": "pw-for-tests-only"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/root-causes/dashboard/"
    page = client.get("/root-causes/dashboard/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Root-cause dashboard" in html
    assert 'href="/"' not in html  # no link to the queue (nor search, chats, candidates)
    assert "/root-causes/candidates/" not in html
    assert client.post("/accounts/logout/").status_code == 302
    assert client.get("/root-causes/dashboard/").status_code == 302  # to sign-in
