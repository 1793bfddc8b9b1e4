import pytest

from apps.cases.models import Case, CaseEvent
from apps.contacts.models import Contact, ContactIdentity

pytestmark = pytest.mark.django_db
URL = "/api/v1/cases/"


def test_an_integration_opens_a_case_for_a_new_customer(admin_api, team, admin_user):
    response = admin_api.post(
        URL,
        {
            "subject": "Charged twice",
            "requester": {"email": "Ann@Example.com", "name": "Ann"},
            "channel": "web",
            "priority": "high",
            "team": team.pk,
            "tags": ["Billing", "refund"],
            "custom_fields": {"order": "A-1"},
            "message": {"body_text": "I was charged twice for order A-1"},
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    case = Case.objects.get()
    assert body["id"] == case.pk
    assert body["reference"] == case.reference
    assert (body["status"], body["priority"], body["channel"]) == ("new", "high", "web")
    assert body["team"] == {"id": team.pk, "name": "Billing"}
    assert body["tags"] == ["billing", "refund"]
    assert body["custom_fields"] == {"order": "A-1"}
    assert body["requester"]["name"] == "Ann"
    assert case.interactions.get().body_text == "I was charged twice for order A-1"
    assert case.events.get(kind=CaseEvent.Kind.CREATED).actor == admin_user
    assert ContactIdentity.objects.get().value == "ann@example.com"


@pytest.mark.parametrize(
    ("requester", "kind", "value", "network"),
    [
        ({"email": "ANN@example.com"}, "email", "ann@example.com", ""),
        ({"phone": "(202) 555-0143"}, "phone", "+12025550143", ""),
        ({"social": {"network": "x", "handle": "@AnnLee"}}, "social", "annlee", "x"),
        ({"chat": "visitor-42"}, "chat", "visitor-42", ""),
    ],
    ids=["email", "phone", "social", "chat"],
)
def test_the_requester_is_found_by_each_identity_kind(admin_api, requester, kind, value, network):
    known = Contact.objects.create(name="Known")
    ContactIdentity.objects.create(contact=known, kind=kind, value=value, network=network)
    response = admin_api.post(URL, {"subject": "Hello", "requester": requester}, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["requester"]["id"] == known.pk
    assert Contact.objects.count() == 1


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"requester": {"email": "a@example.com"}}, "subject"),
        ({"subject": "x"}, "requester"),
        ({"subject": "x", "requester": {}}, "requester"),
        (
            {"subject": "x", "requester": {"email": "a@example.com", "phone": "+12025550143"}},
            "requester",
        ),
        ({"subject": "x", "requester": {"email": "not-an-email"}}, "requester"),
        ({"subject": "x", "requester": {"phone": "12"}}, "requester"),
        (
            {"subject": "x", "requester": {"social": {"network": "myspace", "handle": "a"}}},
            "requester",
        ),
        ({"subject": "x", "requester": {"email": "a@example.com"}, "priority": "p0"}, "priority"),
        ({"subject": "x", "requester": {"email": "a@example.com"}, "channel": "fax"}, "channel"),
        ({"subject": "x", "requester": {"email": "a@example.com"}, "team": 999999}, "team"),
        ({"subject": "x", "requester": {"email": "a@example.com"}, "tags": "vip"}, "tags"),
        ({"subject": "x", "requester": {"email": "a@example.com"}, "colour": "red"}, "colour"),
        ({"subject": ["x"], "requester": {"email": "a@example.com"}}, "subject"),
        ({"subject": "x", "requester": {"email": "a@example.com"}, "message": {}}, "message"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(admin_api, payload, field):
    response = admin_api.post(URL, payload, format="json")
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["status"] == 400
    assert error["code"] in ("validation_error", "invalid_identity")
    assert any(key == field or key.startswith(f"{field}.") for key in error["fields"])
    assert not Case.objects.exists()


@pytest.mark.parametrize(
    ("body", "content_type", "status", "code"),
    [
        (b'{"subject": "x", ', "application/json", 400, "malformed_request"),
        (b"[1, 2, 3]", "application/json", 400, "validation_error"),
        (b"null", "application/json", 400, "validation_error"),
        (b"subject=x", "application/x-www-form-urlencoded", 415, "unsupported_media_type"),
        (b"\xff\xfe\x00", "application/json", 400, "malformed_request"),
    ],
)
def test_malformed_bodies_are_4xx_in_the_envelope(admin_api, body, content_type, status, code):
    response = admin_api.generic("POST", URL, body, content_type=content_type)
    assert response.status_code == status, response.content
    assert response.json()["error"]["code"] == code


def test_a_huge_body_is_refused_with_413(admin_api, settings):
    settings.CXDESK_MAX_REQUEST_BYTES = 10_000
    payload = {
        "subject": "x",
        "requester": {"email": "a@example.com"},
        "message": {"body_text": "x" * 20_000},
    }
    response = admin_api.post(URL, payload, format="json")
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"
    response = admin_api.post(URL, payload, format="json", HTTP_IDEMPOTENCY_KEY="big-1")
    assert response.status_code == 413
    assert not Case.objects.exists()


def test_an_assignee_outside_the_team_is_a_field_error(admin_api, team, other_team):
    from tests.factories import AgentFactory

    outsider = AgentFactory(teams=[other_team])
    response = admin_api.post(
        URL,
        {
            "subject": "x",
            "requester": {"email": "a@example.com"},
            "team": team.pk,
            "assignee": outsider.pk,
        },
        format="json",
    )
    assert response.status_code == 400
    assert "assignee" in response.json()["error"]["fields"]
    assert not Case.objects.exists()
    assert not Contact.objects.exists()


def test_nested_errors_are_named_by_their_path(admin_api):
    response = admin_api.post(
        "/api/v1/contacts/",
        {
            "identities": [
                {"kind": "email", "value": "a@example.com"},
                {"kind": "fax", "value": "1"},
            ]
        },
        format="json",
    )
    assert response.json()["error"]["fields"] == {
        "identities.1.kind": ['"fax" is not a valid choice.']
    }
    response = admin_api.post(
        URL, {"subject": "x", "requester": {}, "message": {"body_text": ""}}, format="json"
    )
    assert response.json()["error"]["fields"] == {
        "requester": ["Give exactly one of email, phone, social or chat."],
        "message.body_text": ["Give body_text or body_html."],
    }
