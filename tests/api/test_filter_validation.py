"""Id and date filters of every list endpoint: a bad value is a 400 naming the filter, never a
500 or a query the database refuses; a time with any RFC 3339 offset is compared in UTC."""

from datetime import UTC, datetime

import pytest

from apps.phone.models import Call
from tests.factories import CaseFactory, ContactFactory

pytestmark = pytest.mark.django_db

ID_FILTERS = [
    ("/api/v1/cases/", "team"),
    ("/api/v1/cases/", "requester"),
    ("/api/v1/cases/", "assignee"),
    ("/api/v1/calls/", "case"),
    ("/api/v1/calls/", "contact"),
    ("/api/v1/calls/", "agent"),
]
DATE_FILTERS = [
    ("/api/v1/cases/", "created_after"),
    ("/api/v1/cases/", "created_before"),
    ("/api/v1/cases/", "updated_after"),
    ("/api/v1/cases/", "updated_before"),
    ("/api/v1/calls/", "started_after"),
    ("/api/v1/calls/", "started_before"),
]


def _assert_400_naming(response, name):
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert list(error["fields"]) == [name]


@pytest.mark.parametrize(("url", "name"), ID_FILTERS)
@pytest.mark.parametrize(
    "value",
    [
        "²",  # a digit to str.isdigit(), but int("²") raises
        "٣",  # Arabic-Indic three: int("٣") == 3, yet not an id we take
        "３",  # full-width three
        "0",
        "-1",
        "1.5",
        "1e3",
        "1_000",
        "0x10",
        "9223372036854775808",  # one past a bigint
        "12345678901234567890123",
    ],
)
def test_an_id_filter_refuses_anything_but_an_ascii_id(admin_api, url, name, value):
    _assert_400_naming(admin_api.get(url, {name: value}), name)


@pytest.mark.parametrize(("url", "name"), ID_FILTERS)
def test_an_id_filter_takes_an_ascii_id_with_spaces_around(admin_api, url, name):
    response = admin_api.get(url, {name: " 9223372036854775807 "})
    assert response.status_code == 200, response.content
    assert response.json()["results"] == []


def test_the_id_filters_still_find_their_rows(admin_api, admin_user, team):
    mine = CaseFactory(team=team, assignee=admin_user)
    CaseFactory()
    for params in (
        {"team": team.pk},
        {"assignee": admin_user.pk},
        {"assignee": "ME"},
        {"requester": mine.requester_id},
    ):
        results = admin_api.get("/api/v1/cases/", params).json()["results"]
        assert [c["id"] for c in results] == [mine.pk], params
    assert len(admin_api.get("/api/v1/cases/", {"assignee": "none"}).json()["results"]) == 1


@pytest.mark.parametrize(("url", "name"), DATE_FILTERS)
@pytest.mark.parametrize(
    "value",
    [
        "2026-01-01T00:00:00+16:00",
        "2026-01-01T00:00:00-23:59",
        "2026-01-01T00:00:00+23:59",
    ],
)
def test_a_date_filter_takes_any_rfc3339_offset(admin_api, url, name, value):
    """PostgreSQL refuses offsets beyond ±15:59 (a 500 before); the instant is converted."""
    response = admin_api.get(url, {name: value})
    assert response.status_code == 200, response.content


@pytest.mark.parametrize(("url", "name"), DATE_FILTERS)
@pytest.mark.parametrize(
    "value",
    [
        "0001-01-01T00:00:00+01:00",  # before year 1 in UTC
        "9999-12-31T23:59:59-01:00",  # after year 9999 in UTC
        "2026-01-01T00:00:00+24:00",
        "2026-13-01T00:00:00Z",
        "yesterday",
    ],
)
def test_a_date_filter_refuses_a_time_without_a_utc_equivalent(admin_api, url, name, value):
    _assert_400_naming(admin_api.get(url, {name: value}), name)


def test_an_offset_beyond_postgresql_s_range_compares_the_right_instant(admin_api):
    # 2026-01-01T00:00+16:00 is 2025-12-31T08:00Z.
    before = CaseFactory(created_at=datetime(2025, 12, 31, 7, 59, tzinfo=UTC))
    after = CaseFactory(created_at=datetime(2025, 12, 31, 8, 0, tzinfo=UTC))
    for name, expected in (("created_after", after), ("created_before", before)):
        response = admin_api.get("/api/v1/cases/", {name: "2026-01-01T00:00:00+16:00"})
        assert [c["id"] for c in response.json()["results"]] == [expected.pk], name


def test_a_call_date_filter_compares_the_right_instant(admin_api):
    case = CaseFactory()
    contact = ContactFactory()
    early, late = (
        Call.objects.create(
            sid=f"CA{n}",
            direction="inbound",
            case=case,
            contact=contact,
            from_number="+12025550143",
            started_at=datetime(2025, 12, 31, hour, tzinfo=UTC),
        )
        for n, hour in ((1, 7), (2, 9))
    )
    response = admin_api.get("/api/v1/calls/", {"started_after": "2026-01-01T00:00:00+16:00"})
    assert [c["id"] for c in response.json()["results"]] == [late.pk]
    assert early
