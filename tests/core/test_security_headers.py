"""Every response carries a strict Content-Security-Policy and a Permissions-Policy; the health
check answers plain HTTP behind HTTPS=true (issue 7.8)."""

import re
from pathlib import Path

import pytest
from django.urls import reverse

from tests.chat.factories import ChatWidgetFactory

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
# Ours: the project's templates and every app's own (e.g. the contacts admin's merge page).
TEMPLATES = sorted(
    p
    for folder in (ROOT / "templates", *ROOT.glob("apps/*/templates"))
    for p in folder.rglob("*.html")
)


def _policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {name: values for name, *values in (d.split() for d in header.split(";") if d.strip())}


@pytest.fixture
def pages(client, agent, admin_user, team):
    widget = ChatWidgetFactory(team=team)
    return {
        "login": lambda: client.get(reverse("login")),
        "queue": lambda: (client.force_login(agent), client.get(reverse("home")))[1],
        "admin": lambda: (client.force_login(admin_user), client.get("/admin/"))[1],
        "api docs": lambda: (client.force_login(admin_user), client.get("/api/docs/"))[1],
        "chat demo": lambda: client.get(f"/channels/chat/demo/{widget.public_key}/"),
        "chat api": lambda: client.get(f"/channels/chat/widgets/{widget.public_key}/"),
        "health": lambda: client.get("/healthz"),
    }


@pytest.mark.parametrize(
    "page", ["login", "queue", "admin", "api docs", "chat demo", "chat api", "health"]
)
def test_every_response_has_a_strict_content_security_policy(pages, page):
    response = pages[page]()
    assert response.status_code == 200
    policy = _policy(response)
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"]
    assert policy["form-action"] == ["'self'"]
    assert not any("unsafe" in value for values in policy.values() for value in values)


def test_every_response_denies_powerful_browser_features(client):
    header = client.get(reverse("login"))["Permissions-Policy"]
    features = dict(part.strip().split("=", 1) for part in header.split(","))
    for feature in (
        "camera",
        "microphone",
        "geolocation",
        "payment",
        "usb",
        "serial",
        "display-capture",
    ):
        assert features[feature] == "()"


def test_the_api_docs_load_their_start_up_script_as_a_file(client, admin_user):
    client.force_login(admin_user)
    page = client.get("/api/docs/").content.decode()
    assert not re.search(r"<script>", page)
    assert "<style" not in page
    script = re.search(r'<script src="(/api/docs/\?[^"]*script[^"]*)"', page).group(1)
    response = client.get(script.replace("&amp;", "&"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/javascript")
    assert b"SwaggerUIBundle" in response.content


def test_redoc_loads_nothing_from_elsewhere_and_only_its_styles_may_be_inline(client, admin_user):
    client.force_login(admin_user)
    response = client.get("/api/redoc/")
    page = response.content.decode()
    assert "googleapis" not in page
    assert "<style" not in page
    assert not re.search(r"<script>", page)
    policy = _policy(response)
    assert policy["style-src"] == ["'self'", "'unsafe-inline'"]  # styled-components
    assert policy["worker-src"] == ["'self'", "blob:"]  # its search
    assert policy["script-src"] == ["'self'"]


@pytest.mark.parametrize("template", [str(p.relative_to(ROOT)) for p in TEMPLATES])
def test_no_template_has_inline_script_or_style(template):
    source = (ROOT / template).read_text()
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", source), "inline <script>"
    assert "<style" not in source, "inline style"
    assert not re.search(r"\sstyle=", source), "inline style"
    assert not re.search(r"\son[a-z]+=", source), "inline event handler"


def test_the_health_check_answers_plain_http_behind_https(client, settings):
    settings.SECURE_SSL_REDIRECT = True  # what HTTPS=true sets
    assert client.get("/healthz").status_code == 200
    assert client.get(reverse("login")).status_code == 301  # everything else goes to https
