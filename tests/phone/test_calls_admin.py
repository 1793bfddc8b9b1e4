"""The admin lists calls read-only, with a bounded number of queries."""

import pytest
from django.urls import reverse

from apps.phone import services
from tests.factories import CaseFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def calls(team, agent):
    return [
        services.call_record(
            sid=f"CA-{n}",
            direction="inbound",
            from_number=f"+1202555{n:04d}",
            agent=agent,
            case=CaseFactory(team=team, status="open"),
        )[0]
        for n in range(15)
    ]


def test_the_call_changelist_renders_with_bounded_queries(
    admin_client, calls, django_assert_max_num_queries
):
    with django_assert_max_num_queries(15):
        response = admin_client.get(reverse("admin:phone_call_changelist"))
    assert response.status_code == 200
    assert calls[0].sid.encode() in response.content


def test_a_call_can_be_viewed_but_not_changed(admin_client, calls):
    url = reverse("admin:phone_call_change", args=[calls[0].pk])
    assert admin_client.get(url).status_code == 200
    assert admin_client.post(url, {"notes": "edited"}).status_code == 403
    assert admin_client.get(reverse("admin:phone_call_add")).status_code == 403
