"""POST /api/v1/inbound/email/: an MTA pipes one raw message; 202 once it is stored."""

import pytest
from rest_framework.test import APIClient

from apps.cases.models import Case
from apps.mail.models import InboundEmail
from tests.factories import AgentFactory, CaseFactory, InteractionFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/inbound/email/"


@pytest.fixture
def writer(agent, token_client):
    return token_client(agent, scopes=["cases:write"])


def _post(client, body: bytes, content_type="message/rfc822", **extra):
    return client.generic("POST", URL, body, content_type=content_type, **extra)


def test_a_raw_message_is_stored_processed_and_answered_202(writer, mailbox, make_email):
    raw = make_email(message_id="<upload@example.com>", subject="Piped in")

    response = _post(writer, raw)

    assert response.status_code == 202, response.content
    body = response.json()
    inbound = InboundEmail.objects.get()
    assert body["id"] == inbound.pk
    assert body["status"] == "processed"
    assert body["message_id"] == "<upload@example.com>"
    assert body["error"] == ""
    assert body["case"] == Case.objects.get(subject="Piped in").pk
    assert (inbound.source, bytes(inbound.raw)) == ("upload", raw)
    assert inbound.mailbox == mailbox  # found from the To header


def test_octet_stream_is_accepted_too(writer, make_email):
    response = _post(writer, make_email(), content_type="application/octet-stream")

    assert response.status_code == 202


def test_the_mailbox_can_be_named_in_the_query(writer, mailbox, make_email):
    response = _post(
        writer, make_email(to="alias@elsewhere.test"), QUERY_STRING="mailbox=Support@cxdesk.test"
    )

    assert response.status_code == 202
    assert InboundEmail.objects.get().mailbox == mailbox
    assert Case.objects.get().team == mailbox.team


def test_an_unknown_mailbox_is_a_400(writer, make_email):
    response = _post(writer, make_email(), QUERY_STRING="mailbox=nobody@nowhere.test")

    assert response.status_code == 400
    assert response.json()["error"]["fields"]["mailbox"]
    assert not InboundEmail.objects.exists()


@pytest.mark.parametrize(
    "query", ["mailbox=a%00b@example.com", "mailbox=a%0Ab@example.com", "mailbox=" + "a" * 321]
)
def test_a_mailbox_no_address_can_be_is_a_400_not_a_500(writer, make_email, query):
    """A NUL in the query was a 500 on PostgreSQL (text cannot hold it): found by the
    200-example schema fuzz."""
    response = _post(writer, make_email(), QUERY_STRING=query)

    assert response.status_code == 400, response.content
    assert response.json()["error"]["fields"]["mailbox"]
    assert not InboundEmail.objects.exists()


def test_a_broken_message_is_kept_and_reported_failed_not_500(writer):
    response = _post(writer, b"\x00\x01 this is not an email \xff")

    assert response.status_code == 202
    body = response.json()
    assert body["status"] == "failed"
    assert "no valid sender address" in body["error"]
    assert InboundEmail.objects.get().status == "failed"


@pytest.mark.parametrize("body", [b"", b"  \r\n  "], ids=["empty", "blank"])
def test_an_empty_body_is_a_400_in_the_error_envelope(writer, body):
    response = _post(writer, body)

    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["status"], error["code"]) == (400, "empty_message")
    assert not InboundEmail.objects.exists()


def test_a_wrong_content_type_is_a_415(writer, make_email):
    response = _post(writer, make_email(), content_type="application/json")

    assert response.status_code == 415
    assert response.json()["error"]["code"] == "unsupported_media_type"
    assert not InboundEmail.objects.exists()


def test_an_oversized_message_is_a_413(writer, make_email, settings):
    settings.CXDESK_MAX_INBOUND_EMAIL_BYTES = 500
    raw = make_email(text="x" * 1000)

    response = _post(writer, raw)

    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"
    assert not InboundEmail.objects.exists()


def test_a_message_larger_than_a_json_request_is_accepted(writer, make_email, settings):
    """CXDESK_MAX_REQUEST_BYTES (1 MiB by default) bounds JSON bodies, not raw mail — also
    when the integration sends an Idempotency-Key."""
    assert settings.CXDESK_MAX_REQUEST_BYTES < 1_500_000
    raw = make_email(attachments=[("scan.bin", "application/octet-stream", b"\x01" * 1_500_000)])

    response = _post(writer, raw, HTTP_IDEMPOTENCY_KEY="upload-1")

    assert response.status_code == 202
    assert response.json()["status"] == "processed"
    assert InboundEmail.objects.get().interaction.attachments.get().size == 1_500_000


def test_a_token_without_cases_write_is_a_403(agent, token_client, make_email):
    reader = token_client(agent, scopes=["cases:read", "contacts:write"])

    response = _post(reader, make_email())

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"
    assert not InboundEmail.objects.exists()


def test_no_token_is_a_401(make_email):
    response = _post(APIClient(), make_email())

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"
    assert not InboundEmail.objects.exists()


def test_a_retry_with_the_same_message_creates_nothing_twice(writer, make_email):
    raw = make_email(message_id="<retry@example.com>")

    first = _post(writer, raw)
    second = _post(writer, raw)

    assert (first.json()["status"], second.json()["status"]) == ("processed", "duplicate")
    assert Case.objects.count() == 1


def test_the_endpoint_is_in_the_api_schema(admin_api):
    schema = admin_api.get("/api/schema/", HTTP_ACCEPT="application/json")

    assert schema.status_code == 200
    operation = schema.json()["paths"]["/api/v1/inbound/email/"]["post"]
    assert set(operation["requestBody"]["content"]) == {
        "message/rfc822",
        "application/octet-stream",
    }
    assert "202" in operation["responses"]


@pytest.fixture
def other_teams_case(other_team):
    """A case of the Logistics team, whose first email has a known Message-ID."""
    case = CaseFactory(team=other_team, status=Case.Status.OPEN)
    InteractionFactory(case=case, external_id="<logistics-1@example.com>")
    return case


def test_a_message_threaded_into_a_case_the_token_cannot_see_names_no_case(
    writer, other_teams_case, make_email
):
    raw = make_email(in_reply_to="<logistics-1@example.com>", subject="Re: my parcel")

    response = _post(writer, raw)

    assert response.status_code == 202
    body = response.json()
    assert body["status"] == "processed"
    assert (body["case"], body["interaction"]) == (None, None)
    assert InboundEmail.objects.get().case == other_teams_case  # threaded all the same


def test_a_duplicate_of_another_teams_message_names_no_case(writer, other_teams_case, make_email):
    response = _post(writer, make_email(message_id="<logistics-1@example.com>"))

    assert response.json()["status"] == "duplicate"
    assert (response.json()["case"], response.json()["interaction"]) == (None, None)


def test_a_token_of_the_cases_team_or_an_admin_gets_its_ids(
    token_client, admin_api, other_team, other_teams_case, make_email
):
    logistics = token_client(
        AgentFactory(username="lou", teams=[other_team]), scopes=["cases:write"]
    )

    for client, n in ((logistics, 1), (admin_api, 2)):
        response = _post(client, make_email(in_reply_to="<logistics-1@example.com>"))
        inbound = InboundEmail.objects.order_by("-pk").first()
        assert response.json()["case"] == other_teams_case.pk, n
        assert response.json()["interaction"] == inbound.interaction_id
