import pytest

from tests.factories import AdminFactory, AgentFactory, SupervisorFactory, TeamFactory


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    """Uploaded files of a test go to its own temporary folder."""
    settings.MEDIA_ROOT = tmp_path / "media"


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
