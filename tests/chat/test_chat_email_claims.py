"""An email typed into the chat widget is a claim: shown to agents as unverified, joined to
the visitor only once confirmed — by the customer from that mailbox, or by an agent."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from apps.cases.models import CaseEvent
from apps.chat import services
from apps.chat.models import ChatSession
from apps.contacts.models import Contact, ContactEvent
from tests.chat.factories import ChatWidgetFactory
from tests.factories import AgentFactory, EmailIdentityFactory

pytestmark = pytest.mark.django_db
Via = ChatSession.ClaimVerifiedVia


@pytest.fixture
def claimed_chat(start_chat, django_capture_on_commit_callbacks):
    """claimed_chat(email) → (Chat, the confirmation link mailed for it)."""

    def start(email="ann@example.com", **fields):
        with django_capture_on_commit_callbacks(execute=True):
            chat = start_chat(email=email, **fields)
        sent = [m for m in mail.outbox if m.to == [email]]
        link = (
            re.search(r"https?://\S+/channels/chat/confirm/\S+/", sent[-1].body).group(0)
            if sent
            else None
        )
        return chat, link

    return start


def _session(chat) -> ChatSession:
    return ChatSession.objects.select_related("contact", "case").get(pk=chat.id)


def _path(link: str) -> str:
    return "/" + link.split("/", 3)[3]


# --- The confirmation link ------------------------------------------------------------------


def test_a_typed_email_gets_a_confirmation_link_that_names_no_chat_content(claimed_chat, settings):
    settings.CXDESK_PUBLIC_URL = "https://support.example.com"
    chat, link = claimed_chat(
        "ann@example.com", name="<b>Win a prize</b>", message="buy cheap pills at spam.example"
    )
    assert link.startswith("https://support.example.com/channels/chat/confirm/")
    [message] = mail.outbox
    assert "Acme shop" in message.subject
    # Nothing the visitor typed is mailed (the widget is public: no spam relay).
    for part in (message.body, message.alternatives[0][0]):
        assert "prize" not in part
        assert "pills" not in part
    assert _session(chat).claim_link_sent_at is not None
    assert chat.data["email_claim"] == {
        "email": "ann@example.com",
        "verified": False,
        "confirmation_mailed": True,
    }


def test_the_answer_to_the_widget_does_not_tell_whether_the_address_is_known(start_chat):
    EmailIdentityFactory(value="known@example.com")
    known = start_chat(email="known@example.com").data["email_claim"]
    unknown = start_chat(email="unknown@example.com").data["email_claim"]
    assert {**known, "email": ""} == {**unknown, "email": ""}


def test_opening_the_link_shows_a_page_and_confirms_nothing(claimed_chat, client):
    EmailIdentityFactory(value="ann@example.com")
    chat, link = claimed_chat()
    page = client.get(_path(link))
    assert page.status_code == 200
    assert b"Yes, that was me" in page.content
    assert _session(chat).claim_verified_at is None


def test_confirming_a_known_address_joins_the_visitor_to_that_contact(claimed_chat, client):
    ann = EmailIdentityFactory(value="ann@example.com").contact
    chat, link = claimed_chat(name="Ann")
    visitor = _session(chat).contact

    page = client.post(_path(link))

    assert page.status_code == 200
    assert b"your email is confirmed" in page.content
    session = _session(chat)
    assert (session.claim_verified_via, session.claim_verified_by) == (Via.EMAIL, None)
    assert session.contact == ann
    assert session.case.requester == ann
    visitor.refresh_from_db()
    assert visitor.merged_into == ann
    assert set(ann.identities.values_list("kind", flat=True)) == {"email", "chat"}
    event = session.case.events.get(kind=CaseEvent.Kind.REQUESTER)
    assert (event.before["contact_id"], event.after["contact_id"]) == (visitor.pk, ann.pk)
    # The browser is Ann's now: her next chat is hers at once.
    again = chat.client.post(
        f"/channels/chat/widgets/{session.widget.public_key}/sessions/",
        {"message": "me again", "visitor_id": chat.data["visitor_id"], "email": "ann@example.com"},
        format="json",
    ).json()
    assert ChatSession.objects.get(pk=again["session"]["id"]).contact == ann
    assert again["email_claim"]["verified"] is True


def test_confirming_a_new_address_adds_it_to_the_visitor(claimed_chat, client):
    chat, link = claimed_chat("neo@example.com", name="Neo")
    client.post(_path(link))
    session = _session(chat)
    assert session.claim_verified_via == Via.EMAIL
    added = session.contact.events.get(kind=ContactEvent.Kind.IDENTITY_ADDED)
    assert (added.actor, added.after["value"]) == (None, "neo@example.com")
    assert sorted(session.contact.identities.values_list("kind", "value")) == [
        ("chat", chat.data["visitor_id"]),
        ("email", "neo@example.com"),
    ]
    assert Contact.objects.count() == 1


def test_confirming_twice_changes_nothing_the_second_time(claimed_chat, client):
    EmailIdentityFactory(value="ann@example.com")
    chat, link = claimed_chat()
    client.post(_path(link))
    first = _session(chat)
    again = client.post(_path(link))
    assert again.status_code == 200
    assert _session(chat).claim_verified_at == first.claim_verified_at
    assert first.case.events.filter(kind=CaseEvent.Kind.REQUESTER).count() == 1


def test_an_expired_link_confirms_nothing(claimed_chat, client, settings):
    settings.CXDESK_CHAT_CLAIM_LINK_HOURS = 48
    chat, link = claimed_chat()
    with time_machine.travel(timezone.now() + timedelta(hours=49)):
        page = client.post(_path(link))
    assert page.status_code == 400
    assert b"expired" in page.content
    assert _session(chat).claim_verified_at is None


@pytest.mark.parametrize(
    "tamper",
    [
        lambda token: token[:-2] + ("AA" if not token.endswith("AA") else "BB"),
        lambda token: "not-a-token",
    ],
)
def test_a_forged_link_confirms_nothing(claimed_chat, client, tamper):
    chat, link = claimed_chat()
    token = link.rstrip("/").rsplit("/", 1)[1]
    page = client.post(f"/channels/chat/confirm/{tamper(token)}/")
    assert page.status_code == 400
    assert _session(chat).claim_verified_at is None


def test_a_link_for_one_chat_does_not_confirm_another_address(claimed_chat, client):
    """The token names the session and the address: it cannot be replayed elsewhere."""
    chat, _ = claimed_chat("mallory@example.com")
    session = _session(chat)
    ChatSession.objects.filter(pk=session.pk).update(claimed_email="ann@example.com")
    forged = services.claim_link_token(session=session)  # signed for mallory@…
    page = client.post(f"/channels/chat/confirm/{forged}/")
    assert page.status_code == 400
    assert _session(chat).claim_verified_at is None


def test_one_address_gets_at_most_the_daily_number_of_mails(claimed_chat, settings):
    settings.CXDESK_CHAT_CLAIM_LINKS_PER_DAY = 3
    for _ in range(5):
        claimed_chat("victim@example.com")
    assert len(mail.outbox) == 3


def test_no_link_is_mailed_when_links_are_off(claimed_chat, settings):
    settings.CXDESK_CHAT_CLAIM_LINKS = False
    chat, link = claimed_chat()
    assert link is None
    assert mail.outbox == []
    assert chat.data["email_claim"]["confirmation_mailed"] is False


def test_the_link_is_mailed_once_however_often_the_task_runs(start_chat):
    chat = start_chat(email="ann@example.com")  # on-commit callbacks not run: no task yet
    assert services.chat_claim_send_link(session_id=chat.id) is True
    assert services.chat_claim_send_link(session_id=chat.id) is False
    assert len(mail.outbox) == 1


def test_the_sweep_mails_the_links_a_lost_task_left_and_only_recent_ones(start_chat):
    lost = start_chat(email="ann@example.com")
    old = start_chat(email="bob@example.com")
    now = timezone.now()
    ChatSession.objects.filter(pk=lost.id).update(started_at=now - timedelta(minutes=5))
    ChatSession.objects.filter(pk=old.id).update(started_at=now - timedelta(hours=2))
    assert services.chat_claim_links_send_due(now=now) == 1
    assert [m.to for m in mail.outbox] == [["ann@example.com"]]
    assert services.chat_claim_links_send_due(now=now) == 0


# --- Agents ---------------------------------------------------------------------------------


def test_a_supervisor_confirms_a_claim_that_merges_through_the_api(
    claimed_chat, supervisor, token_client
):
    ann = EmailIdentityFactory(value="ann@example.com").contact
    chat, _ = claimed_chat()
    api = token_client(supervisor)
    url = f"/api/v1/chat/sessions/{chat.id}/"
    before = api.get(url).json()["email_claim"]
    assert before["verified"] is False
    assert before["verified_via"] == ""

    response = api.post(url + "confirm-claim/")

    assert response.status_code == 200, response.content
    claim = response.json()["email_claim"]
    assert claim["verified"] is True
    assert claim["verified_via"] == "agent"
    assert response.json()["contact"]["id"] == ann.pk
    session = _session(chat)
    assert session.claim_verified_by == supervisor
    assert session.case.events.get(kind=CaseEvent.Kind.REQUESTER).actor == supervisor
    assert ann.events.get(kind=ContactEvent.Kind.MERGED_FROM).actor == supervisor


def test_an_agent_may_not_confirm_a_claim_that_would_merge_contacts(claimed_chat, agent_api):
    """Confirming an address another contact has merges the visitor into that customer: the
    contacts' merge rule (supervisors and admins) holds here too — else an agent could type
    any customer's address into a widget and confirm it to see them (found in review)."""
    ann = EmailIdentityFactory(value="ann@example.com").contact
    chat, _ = claimed_chat()

    response = agent_api.post(f"/api/v1/chat/sessions/{chat.id}/confirm-claim/")

    assert response.status_code == 403, response.content
    assert response.json()["error"]["code"] == "merge_not_allowed"
    assert _session(chat).claim_verified_at is None
    assert _session(chat).contact != ann
    assert not ann.events.exists()


def test_an_agent_confirms_a_new_address(claimed_chat, agent, agent_api):
    chat, _ = claimed_chat("neo@example.com")
    response = agent_api.post(f"/api/v1/chat/sessions/{chat.id}/confirm-claim/")
    assert response.status_code == 200, response.content
    added = _session(chat).contact.events.get(kind=ContactEvent.Kind.IDENTITY_ADDED)
    assert (added.actor, added.after["value"]) == (agent, "neo@example.com")


def test_a_browser_whose_contact_has_other_addresses_is_never_joined(
    claimed_chat, client, start_chat
):
    """A shared computer: Ann confirmed her address from it, so its visitor id is hers. Bob
    then chats from the same browser and confirms bob@ from his mailbox: joining would merge
    Ann into Bob (or put bob@ on Ann). Nothing is joined; a supervisor decides."""
    bob = EmailIdentityFactory(value="bob@example.com").contact
    first, link = claimed_chat("ann@example.com")
    client.post(_path(link))
    ann = _session(first).contact
    again, bob_link = claimed_chat("bob@example.com", visitor_id=first.data["visitor_id"])
    assert _session(again).contact == ann

    page = client.post(_path(bob_link))

    assert page.status_code == 409
    assert b"could not be linked" in page.content
    assert b"Ann" not in page.content
    ann.refresh_from_db()
    assert ann.merged_into is None
    assert not bob.identities.filter(kind="chat").exists()
    assert set(ann.identities.values_list("kind", "value")) == {
        ("chat", first.data["visitor_id"]),
        ("email", "ann@example.com"),
    }
    assert _session(again).claim_verified_at is None


def test_a_chat_without_a_typed_email_has_nothing_to_confirm(start_chat, agent_api):
    chat = start_chat()
    assert agent_api.get(f"/api/v1/chat/sessions/{chat.id}/").json()["email_claim"] is None
    response = agent_api.post(f"/api/v1/chat/sessions/{chat.id}/confirm-claim/")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "claim_error"


def test_agents_of_other_teams_and_readers_cannot_confirm(
    claimed_chat, other_team, token_client, agent
):
    chat, _ = claimed_chat()
    outsider = token_client(AgentFactory(teams=[other_team]))
    assert outsider.post(f"/api/v1/chat/sessions/{chat.id}/confirm-claim/").status_code == 404
    reader = token_client(agent, scopes=["cases:read"])
    assert reader.post(f"/api/v1/chat/sessions/{chat.id}/confirm-claim/").status_code == 403
    assert _session(chat).claim_verified_at is None


def test_the_case_page_shows_the_claim_as_unverified_with_a_button(
    claimed_chat, client, agent, supervisor
):
    EmailIdentityFactory(value="ann@example.com")
    chat, _ = claimed_chat()
    url = f"/channels/chat/sessions/{chat.id}/confirm-claim/"
    client.force_login(agent)
    page = client.get(f"/cases/{_session(chat).case_id}/").content.decode()
    assert "ann@example.com" in page
    assert "unverified" in page
    assert "An existing contact has this address" in page
    assert "a supervisor does" in page
    assert url not in page  # an agent may not merge: no button
    refused = client.post(url, follow=True).content.decode()
    assert "which a supervisor does" in refused
    assert _session(chat).claim_verified_at is None

    client.force_login(supervisor)
    assert url in client.get(f"/cases/{_session(chat).case_id}/").content.decode()
    confirmed = client.post(url, follow=True)

    assert confirmed.redirect_chain[-1][0] == f"/cases/{_session(chat).case_id}/"
    page = confirmed.content.decode()
    assert "Confirmed: the visitor is ann@example.com." in page
    assert "unverified" not in page
    assert "verified" in page
    assert _session(chat).claim_verified_via == Via.AGENT


def test_the_case_page_button_is_refused_to_outsiders(claimed_chat, client, other_team):
    chat, _ = claimed_chat()
    url = f"/channels/chat/sessions/{chat.id}/confirm-claim/"
    assert client.post(url).status_code == 302  # to the login page
    client.force_login(AgentFactory(teams=[other_team]))
    assert client.post(url).status_code == 404
    assert client.get(url).status_code == 405
    assert _session(chat).claim_verified_at is None


def test_the_case_page_costs_the_same_queries_for_one_or_six_claims(
    claimed_chat, client, agent, django_assert_max_num_queries, team
):
    chat, _ = claimed_chat()
    case_id = _session(chat).case_id
    client.force_login(agent)
    client.get(f"/cases/{case_id}/")
    with django_assert_max_num_queries(30) as one:
        client.get(f"/cases/{case_id}/")
    for n in range(5):  # more claimed chats on the same case
        ChatSession.objects.create(
            widget=ChatWidgetFactory(team=team),
            case_id=case_id,
            contact=_session(chat).contact,
            visitor_id=f"v_{n:016d}",
            claimed_email=f"x{n}@example.com",
        )
    with django_assert_max_num_queries(len(one.captured_queries)):
        client.get(f"/cases/{case_id}/")


def test_an_agent_confirmation_that_names_no_agent_merges_nothing(claimed_chat):
    """via="agent" records who checked; without that agent nobody may merge, so it is
    refused like an agent's — it raised AttributeError on `None.is_authenticated` before
    (found by mypy)."""
    ann = EmailIdentityFactory(value="ann@example.com").contact
    chat, _ = claimed_chat()

    with pytest.raises(services.ClaimMergeNotAllowed):
        services.chat_claim_verify(session_id=chat.id, via=Via.AGENT)

    assert _session(chat).claim_verified_at is None
    assert _session(chat).contact != ann
    assert not ann.events.exists()
