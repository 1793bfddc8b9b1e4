"""A forged cursor (its position is the last row's time, readable by anyone) is the "Invalid
cursor" 404 or a page, on every list endpoint and database: never a 500."""

import base64
from urllib.parse import urlencode

import pytest

from tests.factories import CaseFactory

pytestmark = pytest.mark.django_db

LISTS = [
    "/api/v1/cases/",
    "/api/v1/calls/",
    "/api/v1/cases/{case}/interactions/",
    "/api/v1/chat/sessions/",
    "/api/v1/contacts/",
    "/api/v1/webhooks/",
]


def _cursor(position: str, reverse: bool = False) -> str:
    return base64.b64encode(urlencode({"p": position, "r": int(reverse)}).encode()).decode()


@pytest.mark.parametrize("url", LISTS)
@pytest.mark.parametrize(
    "position",
    [
        "2026-01-01 00:00:00\x00",
        "garbage",
        "0001-01-01 00:00:00+01:00",
        "9999-12-31 23:59:59-01:00",
    ],
)
def test_a_forged_cursor_position_is_an_invalid_cursor(admin_api, url, position):
    case = CaseFactory()
    response = admin_api.get(url.format(case=case.pk), {"cursor": _cursor(position)})
    assert response.status_code == 404, response.content
    assert response.json()["error"]["message"] == "Invalid cursor"


@pytest.mark.parametrize("url", LISTS)
def test_a_cursor_time_with_any_offset_is_read_in_utc(admin_api, url):
    """PostgreSQL refused "+16:00" with a 500; it is the instant 2025-12-31T08:00Z."""
    case = CaseFactory()
    response = admin_api.get(
        url.format(case=case.pk), {"cursor": _cursor("2026-01-01 00:00:00+16:00")}
    )
    assert response.status_code == 200, response.content


def test_a_cursor_position_compares_the_right_instant(admin_api):
    from datetime import UTC, datetime

    older = CaseFactory(created_at=datetime(2025, 12, 31, 7, 59, tzinfo=UTC))
    CaseFactory(created_at=datetime(2025, 12, 31, 8, 1, tzinfo=UTC))
    # The list is newest first: rows after this position are older than it.
    response = admin_api.get("/api/v1/cases/", {"cursor": _cursor("2026-01-01 00:00:00+16:00")})
    assert [c["id"] for c in response.json()["results"]] == [older.pk]


def test_real_cursors_still_page(admin_api):
    CaseFactory.create_batch(3)
    first = admin_api.get("/api/v1/cases/", {"page_size": 2}).json()
    second = admin_api.get(first["next"]).json()
    assert len(first["results"]) == 2
    assert len(second["results"]) == 1
    assert admin_api.get(second["previous"]).json()["results"] == first["results"]
