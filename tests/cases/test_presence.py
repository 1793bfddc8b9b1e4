"""Collision detection: the case page asks every few seconds who else is on the case; each
agent sees the others (viewing or typing), never themself, until they have been silent for
PRESENCE_SECONDS. Another team's case is a 404 like a missing one."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from apps.cases import presence
from apps.cases.models import Case
from tests.factories import AgentFactory, CaseFactory

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}
NOON = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)


@pytest.fixture
def case(team):
    return CaseFactory(team=team, status=Case.Status.OPEN)


@pytest.fixture
def alex(team):
    return AgentFactory(username="alex.agent", first_name="Alex", last_name="Agent", teams=[team])


@pytest.fixture
def sam(team):
    return AgentFactory(username="sam.agent", first_name="Sam", last_name="Sato", teams=[team])


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def poll(client, case, **data):
    return client.post(reverse("case-presence", args=[case.pk]), data, **HTMX)


def shown(response) -> str:
    assert response.status_code == 200
    return response.content.decode()


def test_two_agents_on_a_case_each_see_the_other_and_never_themself(case, alex, sam):
    alex_client, sam_client = signed_in(alex), signed_in(sam)
    with time_machine.travel(NOON, tick=False):
        assert shown(poll(alex_client, case)).strip() == ""  # alone
        to_sam = shown(poll(sam_client, case))
        to_alex = shown(poll(alex_client, case))

    assert "Alex Agent is viewing" in to_sam
    assert "Sam" not in to_sam
    assert "Sam Sato is viewing" in to_alex
    assert "Alex" not in to_alex


def test_typing_shows_as_typing_until_the_keystrokes_stop(case, alex, sam):
    alex_client, sam_client = signed_in(alex), signed_in(sam)
    with time_machine.travel(NOON, tick=False) as clock:
        poll(alex_client, case, typing="1")
        assert "Alex Agent is typing…" in shown(poll(sam_client, case))

        clock.shift(timedelta(seconds=presence.POLL_SECONDS))
        poll(alex_client, case)  # the regular poll: still within the typing window
        assert "Alex Agent is typing…" in shown(poll(sam_client, case))

        clock.shift(timedelta(seconds=presence.TYPING_SECONDS))
        poll(alex_client, case)
        to_sam = shown(poll(sam_client, case))
    assert "Alex Agent is viewing" in to_sam
    assert "typing" not in to_sam


def test_an_agent_silent_for_the_presence_window_has_left(case, alex, sam):
    alex_client, sam_client = signed_in(alex), signed_in(sam)
    with time_machine.travel(NOON, tick=False) as clock:
        poll(alex_client, case)
        clock.shift(timedelta(seconds=presence.PRESENCE_SECONDS - 1))
        assert "Alex Agent" in shown(poll(sam_client, case))
        clock.shift(timedelta(seconds=2))  # Alex's last poll is now PRESENCE_SECONDS + 1 old
        assert "Alex Agent" not in shown(poll(sam_client, case))


def test_presence_is_per_case(team, alex, sam):
    one, other = CaseFactory(team=team), CaseFactory(team=team)
    poll(signed_in(alex), one)
    assert "Alex" not in shown(poll(signed_in(sam), other))


def test_another_teams_case_is_a_404_whatever_the_method(case, other_team):
    outsider = signed_in(AgentFactory(teams=[other_team]))
    url = reverse("case-presence", args=[case.pk])
    assert outsider.post(url, **HTMX).status_code == 404
    assert outsider.get(url, **HTMX).status_code == 404
    assert outsider.post(reverse("case-presence", args=[10**12])).status_code == 404
    teammate = AgentFactory(first_name="Pat", teams=[case.team])
    assert shown(poll(signed_in(teammate), case)).strip() == ""  # the refused left no trace


def test_a_get_is_refused_with_405(case, alex):
    response = signed_in(alex).get(reverse("case-presence", args=[case.pk]))
    assert response.status_code == 405
    assert response["Allow"] == "POST"


def test_without_a_session_a_page_goes_to_sign_in_and_a_poll_gets_401(client, case):
    url = reverse("case-presence", args=[case.pk])
    response = client.post(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert client.post(url, **HTMX).status_code == 401  # htmx does not swap the sign-in page in


def test_the_case_page_polls_presence_and_sends_typing(client, case, alex):
    client.force_login(alex)
    page = client.get(reverse("case-detail", args=[case.pk])).content.decode()
    url = reverse("case-presence", args=[case.pk])
    assert f'hx-post="{url}" hx-trigger="load, every 5s"' in page
    assert 'hx-trigger="input from:#id_body throttle:4s"' in page
    assert """hx-vals='{"typing": "1"}'""" in page
    assert 'id="id_body"' in page


def test_names_are_escaped(case, alex, team):
    poll(signed_in(AgentFactory(first_name="<b>Eve</b>", last_name="", teams=[team])), case)
    assert "&lt;b&gt;Eve&lt;/b&gt; is viewing" in shown(poll(signed_in(alex), case))


def test_a_poll_costs_a_few_queries_whatever_the_number_present(
    case, team, django_assert_max_num_queries
):
    agents = [signed_in(AgentFactory(teams=[team])) for _ in range(6)]
    for client in agents:
        poll(client, case)
    with django_assert_max_num_queries(4):  # session, user, profile, the visible case
        shown(poll(agents[0], case))
