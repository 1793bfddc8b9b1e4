import pytest
import yaml

pytestmark = pytest.mark.django_db


def test_the_openapi_schema_documents_every_endpoint_and_error(client):
    response = client.get("/api/schema/")
    assert response.status_code == 200
    schema = yaml.safe_load(response.content)
    paths = schema["paths"]
    assert {
        "/api/v1/cases/",
        "/api/v1/cases/{id}/",
        "/api/v1/cases/{case_pk}/interactions/",
        "/api/v1/contacts/",
        "/api/v1/teams/",
        "/api/v1/tags/",
        "/api/v1/cases/{id}/sla/",
        "/api/v1/webhooks/",
        "/api/v1/webhooks/{id}/deliveries/",
    } <= set(paths)
    create = paths["/api/v1/cases/"]["post"]
    assert {"201", "400", "401", "403", "409", "413", "422", "429"} <= set(create["responses"])
    assert any(p["name"] == "Idempotency-Key" for p in create["parameters"])
    assert "ApiToken" in schema["components"]["securitySchemes"]


@pytest.mark.parametrize("url", ["/api/docs/", "/api/redoc/"])
def test_the_docs_are_served_from_local_static_files(client, url):
    page = client.get(url).content.decode()
    assert "cdn" not in page.lower()
    assert "unpkg" not in page.lower()
    assert "/static/drf_spectacular_sidecar/" in page


def test_an_unknown_api_url_is_a_json_404(client):
    response = client.get("/api/v1/nothing-here/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def _schema(client):
    return yaml.safe_load(client.get("/api/schema/").content)


def test_the_schema_states_the_constraints_the_api_enforces(client):
    """Unknown fields, ids ≥ 1, non-empty lists and the Idempotency-Key's shape are refused
    by the API; the schema says so, so clients and fuzzers need not find out by a 400."""
    schema = _schema(client)
    components, paths = schema["components"]["schemas"], schema["paths"]
    for name in (
        "CaseCreateInputRequest",
        "PatchedCaseUpdateInputRequest",
        "InteractionCreateInputRequest",
        "IdentityInputRequest",
        "CallRequest",
        "ContactCreateInputRequest",
        "SubscriptionCreateInputRequest",
    ):
        assert components[name]["additionalProperties"] is False, name
    assert components["PatchedCaseUpdateInputRequest"]["minProperties"] == 1
    for field in ("team", "assignee"):
        assert components["CaseCreateInputRequest"]["properties"][field]["minimum"] == 1
    for field in ("agent", "case", "team"):
        assert components["CallRequest"]["properties"][field]["minimum"] == 1
    identities = components["ContactCreateInputRequest"]["properties"]["identities"]
    assert (identities["minItems"], identities["maxItems"]) == (1, 20)
    assert components["SubscriptionCreateInputRequest"]["properties"]["events"]["minItems"] == 1
    # Every id in every path, including parameters a view declares itself.
    path_ids = [
        (path, p["name"], p["schema"])
        for path, operations in paths.items()
        for operation in operations.values()
        for p in operation.get("parameters", [])
        if p["in"] == "path"
    ]
    assert len(path_ids) > 20
    for path, name, param_schema in path_ids:
        assert param_schema == {
            "type": "integer",
            "format": "int64",
            "minimum": 1,
            "maximum": 2**63 - 1,
        }, (path, name)
    [key] = [
        p for p in paths["/api/v1/cases/"]["post"]["parameters"] if p["name"] == "Idempotency-Key"
    ]
    assert key["schema"]["maxLength"] == 255
    assert key["schema"]["minLength"] == 1
    filters = {p["name"]: p["schema"] for p in paths["/api/v1/cases/"]["get"]["parameters"]}
    assert filters["team"]["minimum"] == 1
    assert filters["requester"]["type"] == "integer"
    assert "pattern" in filters["assignee"]


def test_recording_url_is_an_http_uri_in_the_schema(client):
    recording = _schema(client)["components"]["schemas"]["CallRequest"]["properties"][
        "recording_url"
    ]
    uri, blank = recording["oneOf"]
    assert (uri["format"], uri["maxLength"], blank["maxLength"]) == ("uri", 1000, 0)
    assert uri["pattern"] == "^[Hh][Tt][Tt][Pp][Ss]?://"
