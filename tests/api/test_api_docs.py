import pytest
import yaml

pytestmark = pytest.mark.django_db


def test_the_openapi_schema_documents_every_endpoint_and_error(client):
    response = client.get("/api/schema/")
    assert response.status_code == 200
    schema = yaml.safe_load(response.content)
    paths = schema["paths"]
    assert {"/api/v1/cases/", "/api/v1/cases/{id}/", "/api/v1/cases/{case_pk}/interactions/",
            "/api/v1/contacts/", "/api/v1/teams/", "/api/v1/tags/",
            "/api/v1/cases/{id}/sla/", "/api/v1/webhooks/",
            "/api/v1/webhooks/{id}/deliveries/"} <= set(paths)
    create = paths["/api/v1/cases/"]["post"]
    assert {"201", "400", "401", "403", "409", "413", "422", "429"} <= set(create["responses"])
    assert any(p["name"] == "Idempotency-Key" for p in create["parameters"])
    assert "ApiToken" in schema["components"]["securitySchemes"]


@pytest.mark.parametrize("url", ["/api/docs/", "/api/redoc/"])
def test_the_docs_are_served_from_local_static_files(client, url):
    page = client.get(url).content.decode()
    assert "cdn" not in page.lower() and "unpkg" not in page.lower()
    assert "/static/drf_spectacular_sidecar/" in page


def test_an_unknown_api_url_is_a_json_404(client):
    response = client.get("/api/v1/nothing-here/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
