"""The stale-reply warning: a customer message or another agent's reply stored after the
page was loaded stops the send; the text comes back with the new messages and "send anyway"."""

import pytest
from django.urls import reverse

from apps.cases import services
from apps.cases.models import Case
from tests.factories import AgentFactory, CaseFactory, InteractionFactory

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def case(team, agent):
    case = CaseFactory(team=team, assignee=agent, status=Case.Status.OPEN)
    InteractionFactory(case=case, body_text="Where is my refund?")
    return case


def page_last_seen(client, case) -> int:
    return client.get(reverse("case-detail", args=[case.pk])).context["last_seen"]


def send(client, case, last_seen, htmx=False, **extra):
    data = {"kind": "reply", "body": "Your refund left today", "last_seen": last_seen, **extra}
    return client.post(reverse("case-compose", args=[case.pk]), data, **(HTMX if htmx else {}))


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_a_customer_message_since_the_page_loaded_stops_the_send(client, agent, case, htmx):
    client.force_login(agent)
    seen = page_last_seen(client, case)
    InteractionFactory(case=case, body_text="Never mind, it arrived!")

    response = send(client, case, seen, htmx=htmx, then_status="solved")

    assert response.status_code == 409
    body = response.content.decode()
    assert "Not sent: 1 new message arrived while you were writing." in body
    assert "Never mind, it arrived!" in body
    assert "Your refund left today" in body  # the text as typed
    assert 'name="send_anyway"' in body
    assert not case.interactions.filter(direction="out").exists()
    case.refresh_from_db()
    assert case.status == Case.Status.OPEN


def test_another_agents_reply_since_counts_too_but_my_own_does_not(client, agent, team, case):
    client.force_login(agent)
    seen = page_last_seen(client, case)
    services.case_note(case_id=case.pk, agent=agent, body_text="my own note")
    services.case_reply(case_id=case.pk, agent=agent, body_text="my reply in another tab")
    assert send(client, case, seen).status_code == 302  # only my own writing since

    seen = page_last_seen(client, case)
    colleague = AgentFactory(teams=[team], first_name="Pat")
    services.case_reply(case_id=case.pk, agent=colleague, body_text="Pat answered already")
    response = send(client, case, seen)
    assert response.status_code == 409
    assert "Pat answered already" in response.content.decode()


def test_send_anyway_sends(client, agent, case):
    client.force_login(agent)
    seen = page_last_seen(client, case)
    InteractionFactory(case=case, body_text="One more thing")
    response = send(client, case, seen, send_anyway="1")
    assert response.status_code == 302
    assert case.interactions.get(direction="out").body_text == "Your refund left today"


def test_sending_again_after_reading_the_new_messages_goes_through(client, agent, case):
    client.force_login(agent)
    seen = page_last_seen(client, case)
    newer = InteractionFactory(case=case, body_text="One more thing")
    warned = send(client, case, seen)
    assert warned.context["compose"]["last_seen"].value() == newer.pk
    assert send(client, case, newer.pk).status_code == 302


def test_a_note_is_never_held_back(client, agent, case):
    client.force_login(agent)
    seen = page_last_seen(client, case)
    InteractionFactory(case=case, body_text="One more thing")
    response = send(client, case, seen, kind="note")
    assert response.status_code == 302
    assert case.interactions.filter(is_public=False).count() == 1


def test_files_of_a_held_back_reply_are_asked_for_again(client, agent, case):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(agent)
    seen = page_last_seen(client, case)
    InteractionFactory(case=case, body_text="One more thing")
    response = send(client, case, seen, attachments=[SimpleUploadedFile("a.pdf", b"%PDF")])
    assert response.status_code == 409
    assert "Your text is kept below; choose the files again." in response.content.decode()
    assert not case.interactions.filter(direction="out").exists()
