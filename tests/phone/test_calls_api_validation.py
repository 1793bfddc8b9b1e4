"""Bad call reports get 400 naming each bad field, and store nothing."""

import pytest

from apps.cases.models import Case
from apps.contacts.models import Contact
from apps.phone.models import Call
from tests.factories import CaseFactory
from tests.phone.conftest import CUSTOMER

pytestmark = pytest.mark.django_db
URL = "/api/v1/calls/"
GOOD = {"sid": "CA-1", "direction": "inbound", "from_number": CUSTOMER}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"colour": "blue"}, "colour"),
        ({"from_number": "not a number"}, "from_number"),
        ({"from_number": ""}, "from_number"),
        ({"direction": "sideways"}, "direction"),
        ({"status": "exploded"}, "status"),
        ({"disposition": "angry"}, "disposition"),
        ({"duration_seconds": -1}, "duration_seconds"),
        ({"recording_url": "ftp://rec.example/1"}, "recording_url"),
        ({"sid": "has spaces"}, "sid"),
        ({"agent": 999999}, "agent"),
        ({"case": 999999}, "case"),
        (
            {"started_at": "2025-03-03T10:00:00Z", "answered_at": "2025-03-03T09:00:00Z"},
            "answered_at",
        ),
        ({"started_at": "2025-03-03T10:00:00Z", "ended_at": "2025-03-03T09:00:00Z"}, "ended_at"),
        ({"ended_at": "0001-01-01T00:00:00+01:00", "duration_seconds": 60}, "ended_at"),
    ],
)
def test_a_bad_field_is_named(admin_api, change, field):
    response = admin_api.post(URL, GOOD | change, format="json")

    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert field in error["fields"]
    assert (Call.objects.count(), Case.objects.count(), Contact.objects.count()) == (0, 0, 0)


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"sid": "CA-new", "from_number": CUSTOMER}, "direction"),
        ({"sid": "CA-new", "direction": "outbound", "from_number": CUSTOMER}, "to_number"),
    ],
)
def test_a_new_call_needs_a_direction_and_the_customers_number(admin_api, payload, field):
    response = admin_api.post(URL, payload, format="json")
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]
    assert not Case.objects.exists()


def test_a_known_call_cannot_change_direction_or_number(admin_api):
    admin_api.post(URL, GOOD, format="json")
    for change, field in (
        ({"direction": "outbound", "to_number": CUSTOMER}, "direction"),
        ({"from_number": "+12025550199"}, "from_number"),
    ):
        response = admin_api.post(URL, {"sid": "CA-1", **change}, format="json")
        assert response.status_code == 400, response.content
        assert field in response.json()["error"]["fields"]
    assert Call.objects.get().from_number == CUSTOMER


def test_a_body_that_is_not_an_object_is_400(admin_api):
    response = admin_api.post(URL, ["sid"], format="json")
    assert response.status_code == 400


def test_an_outbound_call_on_a_closed_case_is_a_clear_400(admin_api, admin_user):
    case = CaseFactory(status="closed")
    response = admin_api.post(
        URL,
        {"direction": "outbound", "to_number": CUSTOMER, "case": case.pk, "agent": admin_user.pk},
        format="json",
    )
    assert response.status_code == 400
    assert "closed" in response.json()["error"]["message"]
    assert not Call.objects.exists()


@pytest.mark.parametrize(
    "query",
    [
        "number=nonsense",
        "agent=abc",
        "status=exploded",
        "started_after=yesterday",
        "case=1.5",
        "case=100000000000000000000000",
        "contact=-1",
    ],
)
def test_a_bad_filter_is_400(admin_api, query):
    response = admin_api.get(f"{URL}?{query}")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"
