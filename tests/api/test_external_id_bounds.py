"""A channel's message id is bounded in bytes, not only in characters: 998 characters of CJK
text are ~3,000 bytes, more than a PostgreSQL btree index row holds (2,704), and the unique
(channel, external_id) index made that a 500. Now a 400 naming the field, on every path."""

import json

import pytest

from apps.cases import services
from apps.cases.models import EXTERNAL_ID_MAX_BYTES, Case, Interaction
from tests.factories import CaseFactory, ContactFactory

pytestmark = pytest.mark.django_db

# 998 distinct CJK characters: 2,994 bytes in UTF-8, and incompressible enough that
# PostgreSQL's index cannot shrink them under its limit (a repeated character would pass).
WIDE = "".join(chr(0x4E00 + (i * 7919) % 20000) for i in range(998))


def test_a_new_case_with_a_wide_external_id_is_a_400_naming_it(admin_api, team):
    response = admin_api.post(
        "/api/v1/cases/",
        {
            "subject": "Help",
            "team": team.pk,
            "requester": {"email": "ann@example.com"},
            "message": {"body_text": "hi", "external_id": WIDE},
        },
        format="json",
    )
    assert response.status_code == 400, response.content
    assert "message.external_id" in response.json()["error"]["fields"]
    assert Case.objects.count() == 0


def test_an_interaction_with_a_wide_external_id_is_a_400_naming_it(admin_api, team):
    case = CaseFactory(team=team)
    response = admin_api.post(
        f"/api/v1/cases/{case.pk}/interactions/",
        {"type": "message", "body_text": "hi", "external_id": WIDE},
        format="json",
    )
    assert response.status_code == 400, response.content
    assert "external_id" in response.json()["error"]["fields"]
    assert not Interaction.objects.filter(case=case).exists()


def test_an_id_of_exactly_the_bound_is_stored(admin_api, team):
    fits = "é" * (EXTERNAL_ID_MAX_BYTES // 2)  # 998 bytes
    case = CaseFactory(team=team)
    response = admin_api.post(
        f"/api/v1/cases/{case.pk}/interactions/",
        {"type": "message", "body_text": "hi", "external_id": fits},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert Interaction.objects.get(case=case).external_id == fits


@pytest.mark.parametrize("write", ["case_open", "interaction_add"])
def test_the_services_refuse_it_for_every_channel(write):
    if write == "case_open":
        requester = ContactFactory()
        kwargs = {"requester": requester, "subject": "x"}
    else:
        kwargs = {"case_id": CaseFactory().pk, "direction": "in"}
    with pytest.raises(services.ExternalIdTooLong):
        getattr(services, write)(channel="social", body_text="hi", external_id=WIDE, **kwargs)
    assert Interaction.objects.count() == 0


@pytest.mark.parametrize("external_id", ["a\ud800b", "a\x00b"])
def test_an_external_id_no_database_can_hold_is_a_400(admin_api, team, external_id):
    case = CaseFactory(team=team)
    # json.dumps escapes the lone surrogate (ensure_ascii), as a client's JSON would.
    response = admin_api.post(
        f"/api/v1/cases/{case.pk}/interactions/",
        json.dumps({"type": "message", "body_text": "hi", "external_id": external_id}),
        content_type="application/json",
    )
    assert response.status_code == 400, response.content
    assert "external_id" in response.json()["error"]["fields"]
