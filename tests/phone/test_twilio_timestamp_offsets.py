"""A Twilio Timestamp may carry any UTC offset RFC 2822 allows (±hhmm). PostgreSQL refuses
offsets beyond ±15:59, so each is stored converted to UTC; an offset no time zone can have
(±24:00 and beyond) is a 400 naming Timestamp. Never a 500, on SQLite or PostgreSQL."""

from datetime import UTC, datetime

import pytest

from apps.cases.models import Case, Interaction
from apps.phone.models import Call
from apps.phone.twilio_callbacks import parse_status_callback
from tests.phone.conftest import twilio_params

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("timestamp", "utc"),
    [
        ("Mon, 03 Mar 2025 09:00:00 +1600", datetime(2025, 3, 2, 17, 0, tzinfo=UTC)),
        ("Mon, 03 Mar 2025 09:00:00 -1600", datetime(2025, 3, 4, 1, 0, tzinfo=UTC)),
        ("Mon, 03 Mar 2025 09:00:00 +2359", datetime(2025, 3, 2, 9, 1, tzinfo=UTC)),
        ("Mon, 03 Mar 2025 09:00:00 +0530", datetime(2025, 3, 3, 3, 30, tzinfo=UTC)),
    ],
)
def test_a_timestamp_with_any_offset_is_stored_in_utc(twilio_post, timestamp, utc):
    response = twilio_post(twilio_params(status="ringing", Timestamp=timestamp))

    assert response.status_code == 201, response.content
    call = Call.objects.get()
    assert call.started_at == utc
    assert call.started_at.utcoffset().total_seconds() == 0
    assert Interaction.objects.get().occurred_at == utc


def test_the_parsed_time_is_in_utc_whatever_the_offset_sent():
    callback = parse_status_callback(twilio_params(Timestamp="Mon, 03 Mar 2025 09:00:00 +1600"))

    assert callback.at == datetime(2025, 3, 2, 17, 0, tzinfo=UTC)
    assert callback.at.tzinfo is UTC


@pytest.mark.parametrize(
    "timestamp", ["Mon, 03 Mar 2025 09:00:00 +2400", "Mon, 03 Mar 2025 09:00:00 -9959"]
)
def test_an_offset_no_clock_can_have_is_a_400_naming_timestamp(twilio_post, timestamp):
    response = twilio_post(twilio_params(Timestamp=timestamp))

    assert response.status_code == 400
    assert "Timestamp" in response.json()["error"]["fields"]
    assert not Call.objects.exists()
    assert not Case.objects.exists()
