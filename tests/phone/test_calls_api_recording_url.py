"""recording_url is an absolute http(s) URI (RFC 3986), in and out: what the schema's
`format: uri` promises. Stored values that are not (older rows, other writers) never reach a
response, and the data migration moves them into the call's notes."""

import importlib

import jsonschema_rs
import pytest

from apps.phone import services
from apps.phone.models import Call
from tests.phone.conftest import CUSTOMER

pytestmark = pytest.mark.django_db
URL = "/api/v1/calls/"
URI = jsonschema_rs.Draft4Validator({"type": "string", "format": "uri"}, validate_formats=True)

# Each was taken by Django's URLField (an IRI, or a character RFC 3986 does not allow).
NOT_URIS = [
    "https://rec.example.com/ä.mp3",
    "https://例え.jp/rec/1",
    "https://rec.example.com/<1>",
    "https://rec.example.com/a|b",
    "https://rec.example.com/{id}",
    "https://rec.example.com/100%",
    'https://rec.example.com/a"b',
    "https://rec.example.com/a\\b",
    "https://rec.example.com/a?b[0]=1",
    "https://rec.example.com/a#b#c",
]


@pytest.mark.parametrize("url", NOT_URIS)
def test_a_recording_url_that_is_not_a_uri_is_refused(admin_api, url):
    assert not URI.is_valid(url)  # what a client validating against our schema would say
    response = admin_api.post(
        URL, {"direction": "inbound", "from_number": CUSTOMER, "recording_url": url}, format="json"
    )
    assert response.status_code == 400, response.content
    assert list(response.json()["error"]["fields"]) == ["recording_url"]
    assert not Call.objects.exists()


@pytest.mark.parametrize(
    "url",
    [
        "https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE1",
        "https://rec.example.com/%C3%A4.mp3?sig=a%2Fb&x=1#t=10",
        "http://[2001:db8::1]:8080/rec",
        "",
    ],
)
def test_a_recording_url_that_is_a_uri_is_kept(admin_api, url):
    response = admin_api.post(
        URL, {"direction": "inbound", "from_number": CUSTOMER, "recording_url": url}, format="json"
    )
    assert response.status_code == 201, response.content
    assert response.json()["recording_url"] == url == Call.objects.get().recording_url


@pytest.mark.parametrize("url", NOT_URIS[:3])
def test_a_stored_value_that_is_not_a_uri_never_reaches_a_response(admin_api, url):
    # Written by a path that skips the API's serializer (a service call, an older release).
    call, _ = services.call_record(
        sid="CA-old", direction="inbound", from_number=CUSTOMER, recording_url=url
    )
    for response in (admin_api.get(URL), admin_api.get(f"{URL}{call.pk}/")):
        assert response.status_code == 200
        body = response.json()
        recording = (body["results"][0] if "results" in body else body)["recording_url"]
        assert recording == ""


def test_the_migration_moves_stored_non_uris_into_the_notes():
    migration = importlib.import_module("apps.phone.migrations.0002_recording_url_non_uri_to_notes")
    good = "https://api.twilio.com/recordings/RE1"
    calls = {}
    for n, (url, notes) in enumerate(
        [(NOT_URIS[0], ""), (NOT_URIS[2], "Called back."), (good, ""), ("", "")]
    ):
        calls[n], _ = services.call_record(
            sid=f"CA-{n}", direction="inbound", from_number=CUSTOMER, recording_url=url, notes=notes
        )
    from django.apps import apps

    migration.move_non_uris_to_notes(apps, None)

    for call in calls.values():
        call.refresh_from_db()
    assert (calls[0].recording_url, calls[0].notes) == (
        "",
        f"Recording (not a valid URL, moved here from recording_url): {NOT_URIS[0]}",
    )
    assert calls[1].recording_url == ""
    assert calls[1].notes == (
        f"Called back.\n\nRecording (not a valid URL, moved here from recording_url): {NOT_URIS[2]}"
    )
    assert (calls[2].recording_url, calls[2].notes) == (good, "")
    assert (calls[3].recording_url, calls[3].notes) == ("", "")
