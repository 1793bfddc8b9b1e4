"""Phone test helpers: signed Twilio status callbacks and call payloads."""

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from urllib.parse import urlencode

import pytest
from twilio.request_validator import RequestValidator

TOKEN = "twilio-auth-token-for-tests"
STATUS_PATH = "/channels/phone/twilio/status/"
FORM = "application/x-www-form-urlencoded"
CUSTOMER = "+12025550143"
OUR_LINE = "+14155550100"
T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)


def twilio_params(
    sid="CA" + "1" * 32,
    status="ringing",
    *,
    from_=CUSTOMER,
    to=OUR_LINE,
    direction="inbound",
    at=T0,
    **extra,
) -> dict:
    """The form parameters of one Twilio voice status callback."""
    params = {
        "CallSid": sid,
        "AccountSid": "AC" + "0" * 32,
        "CallStatus": status,
        "From": from_,
        "To": to,
        "Direction": direction,
        "ApiVersion": "2010-04-01",
        "Timestamp": format_datetime(at),
        "CallbackSource": "call-progress-events",
    }
    params.update({k: str(v) for k, v in extra.items()})
    return params


def sign(params: dict, *, path: str = STATUS_PATH, token: str = TOKEN) -> str:
    return RequestValidator(token).compute_signature(f"http://testserver{path}", params)


@pytest.fixture
def twilio_token(settings):
    settings.TWILIO_AUTH_TOKEN = TOKEN
    return TOKEN


@pytest.fixture
def twilio_post(client, twilio_token):
    """twilio_post(params, signature=None, path=...) → the response to a signed callback."""

    def post(params: dict, *, signature: str | None = None, path: str = STATUS_PATH):
        headers = {
            "X-Twilio-Signature": sign(params, path=path) if signature is None else signature
        }
        return client.post(path, urlencode(params), content_type=FORM, headers=headers)

    return post


@pytest.fixture
def progression():
    """ringing → in-progress (10 s later) → completed (3 min later) of one inbound call."""
    sid = "CA" + "a" * 32
    return [
        twilio_params(sid, "ringing", at=T0),
        twilio_params(sid, "in-progress", at=T0 + timedelta(seconds=10)),
        twilio_params(
            sid,
            "completed",
            at=T0 + timedelta(seconds=190),
            CallDuration=180,
            RecordingUrl="https://api.twilio.com/recordings/RE1",
        ),
    ]
