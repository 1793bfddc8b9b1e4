"""A reply or note sent with htmx swaps the workspace and, out of band, the requester panel:
its "N open" follows a send-and-solve instead of keeping the count of the page's load. The
full page has the panel once, in place."""

import pytest
from django.urls import reverse

from apps.cases.models import Case
from tests.factories import CaseFactory, EmailIdentityFactory, InteractionFactory

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def case(team, agent, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    identity = EmailIdentityFactory(value="ann@example.com")
    case = CaseFactory(
        team=team, assignee=agent, status=Case.Status.OPEN, requester=identity.contact
    )
    InteractionFactory(case=case, body_text="Where is my parcel?")
    return case


def test_send_and_solve_refreshes_the_requesters_open_count(client, agent, case):
    client.force_login(agent)
    page = client.get(reverse("case-detail", args=[case.pk])).content.decode()
    assert page.count('id="case-requester"') == 1
    assert "hx-swap-oob" not in page
    assert "1 in all, 1 open" in page

    response = client.post(
        reverse("case-compose", args=[case.pk]),
        {
            "kind": "reply",
            "body": "Found it, it is on its way.",
            "then_status": "solved",
            "last_seen": case.interactions.get().pk,
        },
        **HTMX,
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert '<aside id="case-requester"' in body
    assert 'hx-swap-oob="true"' in body
    assert "1 in all, 0 open" in body
