"""Twilio status callbacks are accepted only when signed with our auth token."""

from urllib.parse import urlencode

import pytest
from django.test import Client
from twilio.request_validator import RequestValidator

from apps.cases.models import Case, Interaction
from apps.contacts.models import Contact
from apps.phone.models import Call
from tests.phone.conftest import FORM, STATUS_PATH, TOKEN, sign, twilio_params

pytestmark = pytest.mark.django_db


def _nothing_stored():
    return (
        Call.objects.count(),
        Case.objects.count(),
        Interaction.objects.count(),
        Contact.objects.count(),
    ) == (0, 0, 0, 0)


def test_a_correctly_signed_callback_records_the_call(twilio_post):
    response = twilio_post(twilio_params(status="ringing"))
    assert response.status_code == 201, response.content
    call = Call.objects.get()
    assert response.json() == {
        "call": call.pk,
        "sid": call.sid,
        "status": "ringing",
        "case": call.case_id,
        "created": True,
    }
    assert call.provider == "twilio"


def test_a_query_string_is_part_of_the_signed_url(twilio_post, team):
    path = f"{STATUS_PATH}?team={team.slug}"
    response = twilio_post(twilio_params(), path=path)
    assert response.status_code == 201, response.content
    assert Call.objects.get().case.team == team


def test_a_bad_signature_is_403_and_stores_nothing(twilio_post):
    response = twilio_post(twilio_params(), signature="bm90IHRoZSBzaWduYXR1cmU=")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "invalid_signature"
    assert _nothing_stored()


def test_a_signature_made_with_another_token_is_403(twilio_post):
    params = twilio_params()
    response = twilio_post(params, signature=sign(params, token="someone-elses-token"))
    assert response.status_code == 403
    assert _nothing_stored()


def test_a_tampered_parameter_breaks_the_signature(client, twilio_token):
    params = twilio_params()
    signature = sign(params)
    params["From"] = "+12025550199"
    response = client.post(
        STATUS_PATH, urlencode(params), content_type=FORM, headers={"X-Twilio-Signature": signature}
    )
    assert response.status_code == 403
    assert _nothing_stored()


def test_a_signature_for_another_url_is_403(twilio_post):
    params = twilio_params()
    other = RequestValidator(TOKEN).compute_signature("https://elsewhere.example/hook", params)
    assert twilio_post(params, signature=other).status_code == 403


def test_a_missing_signature_is_403(client, twilio_token):
    response = client.post(STATUS_PATH, urlencode(twilio_params()), content_type=FORM)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "missing_signature"
    assert _nothing_stored()


def test_without_a_configured_token_callbacks_are_refused_with_503(client, settings):
    settings.TWILIO_AUTH_TOKEN = ""
    params = twilio_params()
    response = client.post(
        STATUS_PATH,
        urlencode(params),
        content_type=FORM,
        headers={"X-Twilio-Signature": sign(params)},
    )
    assert response.status_code == 503
    assert "TWILIO_AUTH_TOKEN" in response.json()["error"]["message"]
    assert _nothing_stored()


def test_an_hmac_sha256_signature_named_in_the_settings_header_is_accepted(client, twilio_token):
    params = twilio_params()
    signature = RequestValidator(TOKEN).compute_signature(
        f"http://testserver{STATUS_PATH}", params, algorithm="HMAC_SHA256"
    )
    response = client.post(
        STATUS_PATH,
        urlencode(params),
        content_type=FORM,
        headers={
            "X-Twilio-Signature": signature,
            "X-Twilio-Webhooks-Signature-Settings": (
                "key=webhooks_sharedkey_1,algorithm=HMAC_SHA256"
            ),
        },
    )
    assert response.status_code == 201, response.content


def test_json_is_refused_with_415(client, twilio_token):
    response = client.post(
        STATUS_PATH,
        twilio_params(),
        content_type="application/json",
        headers={"X-Twilio-Signature": "x"},
    )
    assert response.status_code == 415
    assert _nothing_stored()


def test_get_is_405(client, twilio_token):
    response = client.get(STATUS_PATH)
    assert response.status_code == 405
    assert response["Allow"] == "POST"


def test_the_callback_needs_no_csrf_token(twilio_token):
    params = twilio_params()
    response = Client(enforce_csrf_checks=True).post(
        STATUS_PATH,
        urlencode(params),
        content_type=FORM,
        headers={"X-Twilio-Signature": sign(params)},
    )
    assert response.status_code == 201, response.content
