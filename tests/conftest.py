import pytest
from rest_framework.test import APIClient

from apps.api.models import ApiToken
from apps.api.services import api_token_create
from tests.celery_workers import worker  # noqa: F401 (the real-worker fixture, module-scoped)
from tests.factories import AdminFactory, AgentFactory, SupervisorFactory, TeamFactory


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """Captured output as UTF-8 can carry it: a test of undecodable mail logs lone surrogates
    (`\\udcff`), which pytest-xdist cannot send from its worker (the worker dies)."""
    report = yield
    report.sections = [
        (title, text.encode("utf-8", "backslashreplace").decode("utf-8"))
        for title, text in report.sections
    ]
    return report


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path):
    """Uploads of a test go to its own folder; users made by factories need no slow hash;
    the cache starts empty (throttle counters, cached flags of rolled-back rows)."""
    from django.core.cache import cache

    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    cache.clear()


ALL_SCOPES = ApiToken.Scope.values


@pytest.fixture
def token_client(db):
    """token_client(user, scopes=...) → an APIClient sending that user's new token."""

    def make(user, scopes=ALL_SCOPES):
        _, key = api_token_create(owner=user, name="test integration", scopes=list(scopes))
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
        client.key = key
        return client

    return make


@pytest.fixture
def admin_api(admin_user, token_client):
    return token_client(admin_user)


@pytest.fixture
def agent_api(agent, token_client):
    return token_client(agent)


@pytest.fixture
def team(db):
    return TeamFactory(name="Billing", slug="billing")


@pytest.fixture
def other_team(db):
    return TeamFactory(name="Logistics", slug="logistics")


@pytest.fixture
def agent(team):
    return AgentFactory(username="alex", teams=[team])


@pytest.fixture
def supervisor(team):
    return SupervisorFactory(username="sam", teams=[team])


@pytest.fixture
def admin_user(db):
    return AdminFactory(username="root")


@pytest.fixture(scope="session")
def django_db_modify_db_settings(
    request, django_db_modify_db_settings_parallel_suffix, tmp_path_factory
):
    """Make a SQLite test database a file (i) under kombu's filesystem:// broker, so a worker
    can open it, and (ii) when the session runs live-server tests: with an in-memory database
    Django hands the live server's request threads the test's one connection, and two
    requests at once — a panel loading by htmx while a form posts — fail with "database
    table is locked". With a file each thread has its own connection and SQLite's busy
    timeout queues the writers, as in production. (Live-server tests use transactional_db.)"""
    from django.conf import settings

    db = settings.DATABASES["default"]
    live = any("live_server" in getattr(item, "fixturenames", ()) for item in request.session.items)
    filesystem_broker = settings.CELERY_BROKER_URL.startswith("filesystem://")
    if (filesystem_broker or live) and db["ENGINE"].endswith("sqlite3"):
        db.setdefault("TEST", {})["NAME"] = str(tmp_path_factory.mktemp("db") / "test.sqlite3")


@pytest.fixture(autouse=True)
def _celery_eager_unless_worker_test(request, settings):
    """Tasks run in the test process even when CELERY_BROKER_URL is set (e.g. in .env), so no
    test publishes to a real broker; only tests marked `worker` go through one."""
    if request.node.get_closest_marker("worker") is None:
        settings.CELERY_TASK_ALWAYS_EAGER = True


@pytest.fixture
def chromium(monkeypatch):
    """Debian's Chromium, headless, through Playwright (tests/browser.py marks such tests)."""
    from django.db import connections
    from playwright.sync_api import sync_playwright

    from tests.browser import CHROMIUM, CHROMIUM_ARGS

    # Playwright's sync API runs an event loop in this thread; the test's own ORM calls are
    # ordinary synchronous code all the same.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()
            # ORM calls made while Playwright ran may have opened connections of their own
            # (greenlets have their own context): close them, or PostgreSQL cannot drop the
            # test database at the end.
            connections.close_all()


@pytest.fixture
def browser_page(chromium):
    page = chromium.new_page(viewport={"width": 900, "height": 640})
    page.set_default_timeout(15_000)
    return page
