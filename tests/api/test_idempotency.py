import pytest

from apps.api.models import IdempotencyRecord
from apps.cases.models import Case, Interaction
from tests.factories import CaseFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/cases/"
PAYLOAD = {
    "subject": "Parcel lost",
    "requester": {"email": "ann@example.com"},
    "message": {"body_text": "Where is it?"},
}


def test_a_retry_with_the_same_key_returns_the_first_response_and_creates_nothing(admin_api):
    first = admin_api.post(URL, PAYLOAD, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    retry = admin_api.post(URL, PAYLOAD, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == retry.status_code == 201
    assert retry.json() == first.json()
    assert retry["Idempotent-Replayed"] == "true"
    assert Case.objects.count() == 1
    assert Interaction.objects.count() == 1


def test_the_same_key_with_another_body_is_refused(admin_api):
    admin_api.post(URL, PAYLOAD, format="json", HTTP_IDEMPOTENCY_KEY="k-2")
    other = admin_api.post(
        URL, {**PAYLOAD, "subject": "Another problem"}, format="json", HTTP_IDEMPOTENCY_KEY="k-2"
    )
    assert other.status_code == 422
    assert other.json()["error"]["code"] == "idempotency_key_reused"
    assert Case.objects.count() == 1


def test_the_same_key_on_another_endpoint_is_refused(admin_api):
    case = CaseFactory()
    admin_api.post(URL, PAYLOAD, format="json", HTTP_IDEMPOTENCY_KEY="k-3")
    response = admin_api.post(
        f"/api/v1/cases/{case.pk}/interactions/",
        {"type": "note", "body_text": "x"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="k-3",
    )
    assert response.status_code == 422


def test_keys_belong_to_one_credential(admin_user, token_client):
    one, two = token_client(admin_user), token_client(admin_user)
    one.post(URL, PAYLOAD, format="json", HTTP_IDEMPOTENCY_KEY="shared")
    response = two.post(URL, PAYLOAD, format="json", HTTP_IDEMPOTENCY_KEY="shared")
    assert response.status_code == 201
    assert "Idempotent-Replayed" not in response
    assert Case.objects.count() == 2


def test_a_validation_error_is_replayed_too(admin_api):
    bad = {"subject": "x"}
    first = admin_api.post(URL, bad, format="json", HTTP_IDEMPOTENCY_KEY="k-4")
    again = admin_api.post(URL, bad, format="json", HTTP_IDEMPOTENCY_KEY="k-4")
    assert first.status_code == again.status_code == 400
    assert again["Idempotent-Replayed"] == "true"


def test_a_refused_credential_is_not_remembered(admin_api, client):
    from rest_framework.test import APIClient

    anonymous = APIClient()
    anonymous.credentials(HTTP_AUTHORIZATION="Bearer cxd_nope_nope")
    assert (
        anonymous.post(URL, PAYLOAD, format="json", HTTP_IDEMPOTENCY_KEY="k-5").status_code == 401
    )
    assert not IdempotencyRecord.objects.exists()


def test_a_crash_leaves_no_record_and_no_case(admin_api, monkeypatch):
    from apps.cases import services

    def boom(**kwargs):
        raise RuntimeError("database on fire")

    monkeypatch.setattr(services, "case_open", boom)
    admin_api.raise_request_exception = False
    response = admin_api.post(URL, PAYLOAD, format="json", HTTP_IDEMPOTENCY_KEY="k-6")
    assert response.status_code == 500
    assert response.json()["error"]["code"] == "server_error"
    assert not IdempotencyRecord.objects.exists()
    assert not Case.objects.exists()
    monkeypatch.undo()
    assert (
        admin_api.post(URL, PAYLOAD, format="json", HTTP_IDEMPOTENCY_KEY="k-6").status_code == 201
    )


@pytest.mark.parametrize("key", ["", "   ", "x" * 256, "tab\tkey"])
def test_a_malformed_key_is_refused(admin_api, key):
    response = admin_api.post(URL, PAYLOAD, format="json", HTTP_IDEMPOTENCY_KEY=key)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_idempotency_key"
    assert not Case.objects.exists()


def test_an_interaction_with_a_known_external_id_is_not_duplicated(admin_api):
    case = CaseFactory()
    url = f"/api/v1/cases/{case.pk}/interactions/"
    payload = {"type": "message", "body_text": "hi", "channel": "chat", "external_id": "m-77"}
    first = admin_api.post(url, payload, format="json")
    again = admin_api.post(url, payload, format="json")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    assert case.interactions.count() == 1


def test_old_records_are_purged():
    from datetime import timedelta

    from django.utils import timezone

    from apps.api.tasks import purge_idempotency_keys

    old = IdempotencyRecord.objects.create(principal="u:1", key="a", fingerprint="f")
    IdempotencyRecord.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - timedelta(hours=25)
    )
    IdempotencyRecord.objects.create(principal="u:1", key="b", fingerprint="f")
    assert purge_idempotency_keys() == 1
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["b"]


def test_a_revoked_token_gets_401_not_the_stored_response(admin_user):
    from rest_framework.test import APIClient

    from apps.api.services import api_token_create, api_token_revoke

    token, key = api_token_create(owner=admin_user, name="crm", scopes=["cases:write"])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    assert client.post(URL, PAYLOAD, format="json", HTTP_IDEMPOTENCY_KEY="r-1").status_code == 201
    api_token_revoke(token_id=token.pk)
    retry = client.post(URL, PAYLOAD, format="json", HTTP_IDEMPOTENCY_KEY="r-1")
    assert retry.status_code == 401
    assert "Idempotent-Replayed" not in retry


def test_an_expired_key_is_a_new_request(admin_api):
    from datetime import timedelta

    from django.utils import timezone

    admin_api.post(URL, PAYLOAD, format="json", HTTP_IDEMPOTENCY_KEY="old-key")
    IdempotencyRecord.objects.update(created_at=timezone.now() - timedelta(hours=25))
    again = admin_api.post(URL, PAYLOAD, format="json", HTTP_IDEMPOTENCY_KEY="old-key")
    assert again.status_code == 201
    assert "Idempotent-Replayed" not in again
    assert Case.objects.count() == 2
