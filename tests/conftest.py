import pytest
from rest_framework.test import APIClient

from apps.api.models import ApiToken
from apps.api.services import api_token_create
from tests.factories import AdminFactory, AgentFactory, SupervisorFactory, TeamFactory


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
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix, tmp_path_factory):
    """Under kombu's filesystem:// broker, make a SQLite test database a file a worker can open."""
    from django.conf import settings

    db = settings.DATABASES["default"]
    if settings.CELERY_BROKER_URL.startswith("filesystem://") and db["ENGINE"].endswith("sqlite3"):
        db.setdefault("TEST", {})["NAME"] = str(tmp_path_factory.mktemp("db") / "test.sqlite3")


@pytest.fixture(autouse=True)
def _celery_eager_unless_worker_test(request, settings):
    """Tasks run in the test process even when CELERY_BROKER_URL is set (e.g. in .env), so no
    test publishes to a real broker; only tests marked `worker` go through one."""
    if request.node.get_closest_marker("worker") is None:
        settings.CELERY_TASK_ALWAYS_EAGER = True
