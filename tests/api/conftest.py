import pytest
from rest_framework.test import APIClient

from apps.api.models import ApiToken
from apps.api.services import api_token_create

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
