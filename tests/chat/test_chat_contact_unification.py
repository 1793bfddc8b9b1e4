"""A chat belongs to the person it is from: known emails and returning visitors unify."""

import pytest

from apps.chat.models import ChatSession
from apps.contacts.models import Contact, ContactIdentity
from tests.factories import EmailIdentityFactory

pytestmark = pytest.mark.django_db


def _contact_of(chat) -> Contact:
    return ChatSession.objects.get(pk=chat.id).contact


def test_a_known_email_puts_the_chat_on_that_contact(start_chat):
    known = EmailIdentityFactory(value="ann@example.com").contact
    chat = start_chat(email="ANN@example.com", name="Ann")
    assert _contact_of(chat) == known
    assert set(known.identities.values_list("kind", flat=True)) == {"email", "chat"}
    assert Contact.objects.count() == 1
    assert ChatSession.objects.get(pk=chat.id).case.requester == known


def test_a_new_email_is_added_to_the_visitors_contact(start_chat):
    chat = start_chat(email="new@example.com", name="Neo")
    contact = _contact_of(chat)
    assert contact.name == "Neo"
    assert sorted(contact.identities.values_list("kind", "value")) == [
        ("chat", chat.data["visitor_id"]), ("email", "new@example.com")]


def test_a_returning_visitor_is_the_same_contact(start_chat):
    first = start_chat()
    again = start_chat(visitor_id=first.data["visitor_id"])
    assert again.data["visitor_id"] == first.data["visitor_id"]
    assert _contact_of(again) == _contact_of(first)
    assert Contact.objects.count() == 1


def test_a_returning_visitor_who_gives_an_email_keeps_one_contact(start_chat):
    first = start_chat()
    again = start_chat(visitor_id=first.data["visitor_id"], email="ann@example.com")
    assert _contact_of(again) == _contact_of(first)
    assert ContactIdentity.objects.get(kind="email").contact == _contact_of(first)


def test_an_email_of_someone_else_than_the_visitor_is_not_merged(start_chat):
    """An address typed into a public widget is an unverified claim: the chat goes to the
    email's owner, but the visitor's earlier contact is left alone (no merge)."""
    anonymous = start_chat()
    known = EmailIdentityFactory(value="ann@example.com").contact
    claimed = start_chat(visitor_id=anonymous.data["visitor_id"], email="ann@example.com")
    assert _contact_of(claimed) == known
    assert _contact_of(anonymous).merged_into is None
    assert ContactIdentity.objects.get(kind="chat").contact == _contact_of(anonymous)
    assert set(known.identities.values_list("kind", flat=True)) == {"email"}


def test_every_chat_opens_its_own_case(start_chat):
    one, two = start_chat("first problem"), start_chat("second problem")
    assert ChatSession.objects.get(pk=one.id).case != ChatSession.objects.get(pk=two.id).case


def test_after_an_agent_merges_the_visitor_their_messages_are_the_merged_persons(start_chat):
    from apps.cases.models import Interaction
    from apps.contacts.services import contact_merge

    known = EmailIdentityFactory(value="ann@example.com").contact
    chat = start_chat()
    contact_merge(source_id=_contact_of(chat).pk, target_id=known.pk)
    said = chat.say("it's me, Ann")
    assert said.status_code == 201
    assert Interaction.objects.get(pk=said.json()["id"]).author_contact == known
