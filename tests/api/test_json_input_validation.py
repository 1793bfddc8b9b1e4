"""JSON objects the API stores (custom_fields, metadata): what no database can hold is a 400
naming the path to it, never a 500; and a note refuses the fields it would not keep."""

import json

import pytest

from apps.cases.models import Case, Interaction
from apps.contacts.models import Contact
from tests.factories import CaseFactory

pytestmark = pytest.mark.django_db

NUL = "a\x00b"
LONE_SURROGATE = "a\ud800b"  # json.dumps writes it as the escape "\ud800": valid JSON syntax


def _post(client, url, payload, method="post"):
    # json.dumps escapes the lone surrogate (ensure_ascii), as a client's JSON would.
    return getattr(client, method)(url, json.dumps(payload), content_type="application/json")


def _fields(response):
    assert response.status_code == 400, response.content
    return response.json()["error"]["fields"]


def _new_case(**extra):
    return {"subject": "Help", "requester": {"email": "ann@example.com"}, **extra}


BAD_VALUES = [
    ({"order": NUL}, "custom_fields.order"),
    ({"order": LONE_SURROGATE}, "custom_fields.order"),
    ({"lines": [{"sku": "ok"}, {"sku": NUL}]}, "custom_fields.lines.1.sku"),
    ({"lines": ["ok", LONE_SURROGATE]}, "custom_fields.lines.1"),
    ({NUL: "x"}, "custom_fields"),
    ({"nested": {LONE_SURROGATE: 1}}, "custom_fields.nested"),
]


@pytest.mark.parametrize(("value", "path"), BAD_VALUES)
def test_unstorable_custom_fields_on_a_new_case_are_a_400_by_path(admin_api, value, path):
    fields = _fields(_post(admin_api, "/api/v1/cases/", _new_case(custom_fields=value)))
    assert list(fields) == [path]
    assert not Case.objects.exists()
    assert not Contact.objects.exists()


@pytest.mark.parametrize(("value", "path"), BAD_VALUES)
def test_unstorable_custom_fields_in_a_case_update_are_a_400_by_path(admin_api, value, path):
    case = CaseFactory(custom_fields={"order": "A-1"})
    fields = _fields(
        _post(admin_api, f"/api/v1/cases/{case.pk}/", {"custom_fields": value}, method="patch")
    )
    assert list(fields) == [path]
    case.refresh_from_db()
    assert case.custom_fields == {"order": "A-1"}


@pytest.mark.parametrize("text", [NUL, LONE_SURROGATE])
def test_unstorable_metadata_of_a_first_message_is_a_400_by_path(admin_api, text):
    payload = _new_case(message={"body_text": "hi", "metadata": {"headers": {"x-a": text}}})
    fields = _fields(_post(admin_api, "/api/v1/cases/", payload))
    assert list(fields) == ["message.metadata.headers.x-a"]
    assert not Case.objects.exists()


@pytest.mark.parametrize("kind", ["message", "reply"])
@pytest.mark.parametrize("text", [NUL, LONE_SURROGATE])
def test_unstorable_interaction_metadata_is_a_400_by_path(admin_api, kind, text):
    case = CaseFactory()
    response = _post(
        admin_api,
        f"/api/v1/cases/{case.pk}/interactions/",
        {"type": kind, "body_text": "hi", "metadata": {"page": text}},
    )
    assert list(_fields(response)) == ["metadata.page"]
    assert not Interaction.objects.exists()


def test_json_nested_deeper_than_the_limit_is_a_400(admin_api):
    from apps.api.fields import MAX_STORED_JSON_DEPTH

    deep = "x"
    for _ in range(MAX_STORED_JSON_DEPTH + 5):
        deep = {"a": deep}
    fields = _fields(_post(admin_api, "/api/v1/cases/", _new_case(custom_fields=deep)))
    [path] = fields
    assert path.startswith("custom_fields.a.a")
    assert "Nested deeper" in fields[path][0]


def test_storable_unicode_is_kept_as_sent(admin_api):
    value = {"emoji": "😀", "name": "Zoë", "tab": "a\tb", "lines": [1, None, True, 2.5]}
    response = _post(admin_api, "/api/v1/cases/", _new_case(custom_fields=value))
    assert response.status_code == 201, response.content
    assert Case.objects.get().custom_fields == value


@pytest.mark.parametrize(
    "field",
    [
        {"metadata": {"source": "crm"}},
        {"external_id": "crm-1"},
        {"occurred_at": "2026-01-01T00:00:00Z"},
        {"channel": "email"},
    ],
)
def test_a_note_refuses_the_fields_it_would_not_keep(admin_api, field):
    """A note used to drop these silently: metadata, external id, time and channel."""
    case = CaseFactory()
    response = _post(
        admin_api,
        f"/api/v1/cases/{case.pk}/interactions/",
        {"type": "note", "body_text": "VIP", **field},
    )
    assert list(_fields(response)) == list(field)
    assert not Interaction.objects.exists()


def test_a_reply_keeps_its_metadata(admin_api):
    case = CaseFactory()
    response = _post(
        admin_api,
        f"/api/v1/cases/{case.pk}/interactions/",
        {"type": "reply", "body_text": "Done", "metadata": {"source": "crm"}},
    )
    assert response.status_code == 201, response.content
    assert response.json()["metadata"] == {"source": "crm"}
