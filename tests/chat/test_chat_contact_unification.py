"""A chat belongs to the browser it comes from: returning visitors unify; a typed email is a
claim (tests/chat/test_chat_email_claims.py) and never chooses the contact by itself."""

import pytest

from apps.chat.models import ChatSession
from apps.contacts.models import Contact, ContactIdentity
from tests.factories import EmailIdentityFactory

pytestmark = pytest.mark.django_db


def _session(chat) -> ChatSession:
    return ChatSession.objects.select_related("contact", "case").get(pk=chat.id)


def test_a_known_email_typed_into_the_widget_does_not_make_the_visitor_that_contact(start_chat):
    """The attack: a visitor types a known customer's email to be shown as them (their phone,
    their history) and to bind their browser to them."""
    known = EmailIdentityFactory(value="ann@example.com").contact
    known.identities.create(kind="phone", value="+12025550143")
    chat = start_chat(email="ANN@example.com", name="Mallory")
    session = _session(chat)
    assert session.contact != known
    assert session.case.requester == session.contact
    assert session.claimed_email == "ann@example.com"
    assert session.claim_verified_at is None
    # The visitor id stays with the visitor; Ann's identities are untouched.
    assert set(known.identities.values_list("kind", flat=True)) == {"email", "phone"}
    assert ContactIdentity.objects.get(kind="chat").contact == session.contact
    assert known.merged_into is None


def test_a_new_email_typed_into_the_widget_is_not_added_before_it_is_confirmed(start_chat):
    """Unclaimed addresses too: otherwise the first to type a stranger's address would
    receive that stranger's later mail in their history."""
    chat = start_chat(email="new@example.com", name="Neo")
    session = _session(chat)
    assert session.contact.name == "Neo"
    assert list(session.contact.identities.values_list("kind", "value")) == [
        ("chat", chat.data["visitor_id"])
    ]
    assert session.claimed_email == "new@example.com"


def test_a_returning_visitor_is_the_same_contact(start_chat):
    first = start_chat()
    again = start_chat(visitor_id=first.data["visitor_id"])
    assert again.data["visitor_id"] == first.data["visitor_id"]
    assert _session(again).contact == _session(first).contact
    assert Contact.objects.count() == 1


def test_a_returning_visitor_whose_contact_has_the_email_is_verified_at_once(start_chat):
    first = start_chat()
    _session(first).contact.identities.create(kind="email", value="ann@example.com")
    again = start_chat(visitor_id=first.data["visitor_id"], email="Ann@Example.com")
    session = _session(again)
    assert session.contact == _session(first).contact
    assert session.claim_verified_at is not None
    assert session.claim_verified_via == ChatSession.ClaimVerifiedVia.VISITOR
    assert again.data["email_claim"] == {
        "email": "ann@example.com",
        "verified": True,
        "confirmation_mailed": False,
    }


def test_every_chat_opens_its_own_case(start_chat):
    one, two = start_chat("first problem"), start_chat("second problem")
    assert _session(one).case != _session(two).case


def test_after_an_agent_merges_the_visitor_their_messages_are_the_merged_persons(start_chat):
    from apps.cases.models import Interaction
    from apps.contacts.services import contact_merge

    known = EmailIdentityFactory(value="ann@example.com").contact
    chat = start_chat()
    contact_merge(source_id=_session(chat).contact.pk, target_id=known.pk)
    said = chat.say("it's me, Ann")
    assert said.status_code == 201
    assert Interaction.objects.get(pk=said.json()["id"]).author_contact == known
