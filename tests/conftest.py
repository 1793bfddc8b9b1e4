import pytest

from tests.factories import AdminFactory, AgentFactory, SupervisorFactory, TeamFactory


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path):
    """Uploads of a test go to its own folder; users made by factories need no slow hash."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


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
