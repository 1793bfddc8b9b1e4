"""A subject token alone does not let anyone write into a case: a bare `[CX-000123]` threads
only a sender the case knows (its requester, a contact who wrote on it, an address copied on
its emails); anyone else's message opens a new case linked to the referenced one, which is
left untouched. A token with our keyed tag threads whoever sends it."""

import pytest

from apps.cases.models import Case, CaseEvent
from apps.mail import services
from apps.mail.models import InboundEmail
from apps.mail.references import subject_token
from tests.factories import CaseFactory, ContactFactory, EmailIdentityFactory, InteractionFactory

pytestmark = pytest.mark.django_db
Status = InboundEmail.Status
Kind = CaseEvent.Kind


@pytest.fixture
def customer():
    return EmailIdentityFactory(
        value="ada@example.com", contact=ContactFactory(name="Ada Lovelace")
    ).contact


@pytest.fixture
def solved_case(customer, other_team):
    """Case CX-… of another team than the mailbox's, solved, with the customer's email."""
    case = CaseFactory(
        requester=customer,
        team=other_team,
        status=Case.Status.SOLVED,
        subject="Refund for order 42",
    )
    InteractionFactory(
        case=case,
        author_contact=customer,
        external_id="<q1@example.com>",
        metadata={
            "email": {"to": ["Support <support@cxdesk.test>"], "cc": ['"Bob B." <Bob@Example.org>']}
        },
    )
    return case


def _receive(raw, mailbox):
    inbound = services.email_receive(raw=raw, source="upload", mailbox=mailbox)
    assert inbound.status == Status.PROCESSED, inbound.error
    return inbound


def test_an_unknown_sender_quoting_a_solved_case_opens_a_new_linked_case(
    solved_case, mailbox, make_email
):
    """The attack of issue 7: before, this reopened the case and added a public message."""
    before = {
        "case": Case.objects.values().get(pk=solved_case.pk),
        "interactions": list(solved_case.interactions.values_list("pk", flat=True)),
        "events": list(solved_case.events.values_list("pk", flat=True)),
    }
    raw = make_email(
        sender="Mallory <mallory@evil.test>",
        subject=f"Re: [{solved_case.reference}] please send the refund to me",
        text="Please wire it to my new account.",
    )

    inbound = _receive(raw, mailbox)

    # The referenced case is untouched: status, interactions, fields; only the link event.
    assert Case.objects.values().get(pk=solved_case.pk) == before["case"]
    assert list(solved_case.interactions.values_list("pk", flat=True)) == before["interactions"]
    [link] = solved_case.events.exclude(pk__in=before["events"])
    new_case = inbound.case
    assert link.kind == Kind.UNVERIFIED_REFERENCE
    assert link.after == {"referred_by": {"case_id": new_case.pk, "reference": new_case.reference}}
    # The message opened a new case, in the mailbox's queue, linked to the referenced one.
    assert new_case != solved_case
    assert new_case.status == Case.Status.NEW
    assert new_case.requester.identities.get().value == "mallory@evil.test"
    assert new_case.team == mailbox.team
    assert new_case.follow_up_of is None  # a claim, not a continuation of the customer's case
    interaction = inbound.interaction
    assert interaction.is_public
    assert interaction.case == new_case
    assert interaction.metadata["threading"] == {
        "by": "subject_reference_unverified",
        "reference": solved_case.reference,
    }
    assert new_case.events.get(kind=Kind.UNVERIFIED_REFERENCE).after == {
        "refers_to": {"case_id": solved_case.pk, "reference": solved_case.reference}
    }
    assert link.actor_contact == new_case.requester


def test_a_wrong_tag_counts_as_a_bare_token(solved_case, mailbox, make_email):
    raw = make_email(
        sender="mallory@evil.test", subject=f"Re: refund [{solved_case.reference}-abcdefgh]"
    )

    inbound = _receive(raw, mailbox)

    assert inbound.case != solved_case
    assert inbound.interaction.metadata["threading"]["by"] == "subject_reference_unverified"


def test_a_token_with_our_tag_threads_whoever_sends_it(solved_case, mailbox, make_email):
    """Our own mail, forwarded by a colleague: it threads and, like any customer message,
    reopens the solved case."""
    raw = make_email(
        sender="colleague@partner.test",
        subject=f"Fwd: Re: Refund for order 42 {subject_token(solved_case)}",
    )

    inbound = _receive(raw, mailbox)

    assert inbound.case == solved_case
    solved_case.refresh_from_db()
    assert solved_case.status == Case.Status.OPEN
    assert not CaseEvent.objects.filter(kind=Kind.UNVERIFIED_REFERENCE).exists()


@pytest.mark.parametrize(
    "sender",
    [
        "ada@example.com",  # the requester
        "Ada <ada.lovelace@work.test>",  # another identity of the requester
        "bob@example.org",  # copied (Cc) on an email of the case
        "Carol <carol@example.net>",  # wrote on the case before
    ],
    ids=["requester", "requester-other-identity", "cc-of-the-thread", "wrote-before"],
)
def test_a_bare_token_threads_a_sender_the_case_knows(
    solved_case, customer, mailbox, make_email, sender
):
    EmailIdentityFactory(contact=customer, value="ada.lovelace@work.test")
    carol = EmailIdentityFactory(value="carol@example.net").contact
    InteractionFactory(case=solved_case, author_contact=carol)

    inbound = _receive(make_email(sender=sender, subject=f"Re: [{solved_case.reference}]"), mailbox)

    assert inbound.case == solved_case
    assert inbound.interaction.metadata["threading"]["sender_known"] is True


def test_a_contact_of_another_case_is_not_known_to_this_one(solved_case, mailbox, make_email):
    stranger = EmailIdentityFactory(value="dave@example.com").contact
    CaseFactory(requester=stranger)

    inbound = _receive(
        make_email(sender="dave@example.com", subject=f"[{solved_case.reference}]"), mailbox
    )

    assert inbound.case != solved_case


def test_the_known_sender_check_costs_the_same_whatever_the_case_holds(
    solved_case, mailbox, make_email
):
    """Bounded: the requester is compared in memory, then one query for "wrote on the case"
    and one reading To/Cc of the case's latest emails, however long the case is."""

    def queries_for(n):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        raw = make_email(sender=f"stranger{n}@evil.test", subject=f"[{solved_case.reference}]")
        with CaptureQueriesContext(connection) as captured:
            _receive(raw, mailbox)
        return len(captured)

    queries_for(0)  # warm caches (content types, the first contact of the test)
    short = queries_for(1)
    InteractionFactory.create_batch(
        30,
        case=solved_case,
        metadata={
            "email": {"to": ["support@cxdesk.test"], "cc": [f"p{i}@example.org" for i in range(10)]}
        },
    )

    assert queries_for(2) == short


def test_only_the_from_address_vouches_for_the_sender(solved_case, mailbox, make_email):
    """With no usable From address the sender is read from Reply-To, which no SPF, DKIM or
    DMARC check covers: it is not a known sender, even when it is the requester's."""
    raw = make_email(
        sender="Ada",
        subject=f"Re: [{solved_case.reference}]",
        headers={"Reply-To": "ada@example.com"},
    )

    inbound = _receive(raw, mailbox)

    assert inbound.interaction.author_contact == solved_case.requester
    assert inbound.case != solved_case
    assert inbound.interaction.metadata["threading"]["by"] == "subject_reference_unverified"


def test_both_case_pages_show_the_link_between_the_cases(
    solved_case, mailbox, make_email, client, admin_user
):
    raw = make_email(
        sender="Mallory <mallory@evil.test>",
        subject=f"[{solved_case.reference}] refund",
        text="Send it to me.",
    )
    new_case = _receive(raw, mailbox).case
    client.force_login(admin_user)

    on_new = client.get(f"/cases/{new_case.pk}/").content.decode()
    on_referenced = client.get(f"/cases/{solved_case.pk}/").content.decode()

    assert (
        f'opened by a message naming <a href="/cases/{solved_case.pk}/">'
        f"{solved_case.reference}</a> from a sender that case does not know"
    ) in on_new
    assert (
        f'named by <a href="/cases/{new_case.pk}/">{new_case.reference}</a>, a message '
        "from a sender this case does not know (nothing was added here)"
    ) in on_referenced


@pytest.mark.parametrize(
    "sender",
    ["Support <support@cxdesk.test>", "help@cxdesk.example"],
    ids=["the receiving mailbox", "another of our mailboxes"],
)
def test_our_own_addresses_are_never_senders_a_case_knows(
    solved_case, mailbox, make_email, sender, settings
):
    """Every customer email has our mailbox in To, so 'copied on the thread' made anyone who
    forged From: support@… a known sender of every case (found in review)."""
    from apps.mail.models import Mailbox

    Mailbox.objects.create(name="Help", email_address="Help@cxdesk.example")
    InteractionFactory(case=solved_case, metadata={"email": {"to": ["help@cxdesk.example"]}})
    before = list(solved_case.interactions.values_list("pk", flat=True))

    inbound = _receive(
        make_email(
            sender=sender, subject=f"Re: [{solved_case.reference}]", text="Refund it to me."
        ),
        mailbox,
    )

    assert inbound.case != solved_case
    assert list(solved_case.interactions.values_list("pk", flat=True)) == before
    solved_case.refresh_from_db()
    assert solved_case.status == Case.Status.SOLVED
