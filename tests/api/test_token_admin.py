import re

import pytest

from apps.api.models import ApiToken

pytestmark = pytest.mark.django_db


def test_an_admin_creates_a_token_and_sees_the_key_once(admin_client, admin_user):
    response = admin_client.post(
        "/admin/api/apitoken/add/",
        {
            "name": "CRM",
            "owner": admin_user.pk,
            "scopes": ["cases:read", "cases:write"],
        },
        follow=True,
    )
    assert response.status_code == 200
    page = response.content.decode()
    key = re.search(r"(cxd_[0-9a-f]{12}_[\w-]+)", page).group(1)
    token = ApiToken.objects.get()
    assert token.scopes == ["cases:read", "cases:write"]
    assert key not in token.key_hash
    detail = admin_client.get(f"/admin/api/apitoken/{token.pk}/change/").content.decode()
    assert key not in detail
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    assert client.get("/api/v1/cases/").status_code == 200


def test_the_revoke_action(admin_client, admin_user):
    from apps.api.services import api_token_create

    token, _ = api_token_create(owner=admin_user, name="old", scopes=["cases:read"])
    admin_client.post("/admin/api/apitoken/", {"action": "revoke", "_selected_action": [token.pk]})
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_a_token_without_scopes_cannot_be_created(admin_client, admin_user):
    response = admin_client.post("/admin/api/apitoken/add/", {"name": "x", "owner": admin_user.pk})
    assert response.status_code == 200
    assert not ApiToken.objects.exists()
