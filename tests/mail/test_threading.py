"""Which case a message belongs to: In-Reply-To, References, a [CX-…] subject token, else a
new case; and what a reply means for the case it lands on."""

import pytest

from apps.cases.models import Case, CaseEvent, Interaction
from apps.mail import services
from apps.mail.models import InboundEmail
from apps.mail.references import subject_token
from tests.factories import CaseFactory, ContactFactory, EmailIdentityFactory, InteractionFactory

pytestmark = pytest.mark.django_db
Status = InboundEmail.Status


@pytest.fixture
def customer():
    return EmailIdentityFactory(
        value="ada@example.com", contact=ContactFactory(name="Ada Lovelace")
    ).contact


@pytest.fixture
def case(customer, team):
    case = CaseFactory(
        requester=customer, team=team, status=Case.Status.OPEN, subject="Invoice 42 is wrong"
    )
    InteractionFactory(case=case, external_id="<original@example.com>")
    return case


@pytest.fixture
def agent_reply(case, agent):
    """An agent's email reply whose Message-ID the outbound sender stored."""
    return InteractionFactory(
        case=case,
        direction=Interaction.Direction.OUTBOUND,
        author_contact=None,
        author_agent=agent,
        external_id="<reply.CX-1@cxdesk.test>",
    )


def _receive(raw, mailbox):
    inbound = services.email_receive(raw=raw, source="imap", mailbox=mailbox)
    assert inbound.status in (Status.PROCESSED, Status.DUPLICATE), inbound.error
    return inbound


def test_in_reply_to_an_agent_reply_threads_onto_its_case(case, agent_reply, mailbox, make_email):
    raw = make_email(subject="Re: something else entirely", in_reply_to="<reply.CX-1@cxdesk.test>")

    inbound = _receive(raw, mailbox)

    assert inbound.case == case
    assert Case.objects.count() == 1
    assert inbound.interaction.metadata["threading"] == {
        "by": "in_reply_to",
        "message_id": "<reply.CX-1@cxdesk.test>",
    }


def test_in_reply_to_an_earlier_inbound_message_threads_too(case, mailbox, make_email):
    inbound = _receive(make_email(in_reply_to="<original@example.com>"), mailbox)

    assert inbound.case == case


def test_a_message_id_stored_without_brackets_still_matches(case, mailbox, make_email):
    InteractionFactory(
        case=case,
        direction=Interaction.Direction.OUTBOUND,
        author_contact=None,
        external_id="bare-id@cxdesk.test",
    )

    inbound = _receive(make_email(in_reply_to="<bare-id@cxdesk.test>"), mailbox)

    assert inbound.case == case


def test_references_thread_when_in_reply_to_is_unknown(case, agent_reply, mailbox, make_email):
    raw = make_email(
        in_reply_to="<lost@elsewhere.test>",
        references="<unknown@x.test> <reply.CX-1@cxdesk.test> <lost@elsewhere.test>",
    )

    inbound = _receive(raw, mailbox)

    assert inbound.case == case
    assert inbound.interaction.metadata["threading"]["by"] == "references"


def test_a_bare_subject_token_from_the_requester_threads(case, mailbox, make_email):
    raw = make_email(sender="ada@example.com", subject=f"Re: hello [{case.reference}]")

    inbound = _receive(raw, mailbox)

    assert inbound.case == case
    assert inbound.interaction.metadata["threading"] == {
        "by": "subject_reference",
        "reference": case.reference,
        "tag_valid": False,
        "sender_known": True,
    }


def test_a_tagged_subject_token_from_an_unknown_sender_threads_and_says_so(
    case, mailbox, make_email
):
    """The tag comes from our own mail: a colleague forwarding our reply threads."""
    raw = make_email(
        sender="Colleague <bob@example.org>", subject=f"Fwd: Re: hello {subject_token(case)}"
    )

    inbound = _receive(raw, mailbox)

    assert inbound.case == case
    assert inbound.interaction.metadata["threading"] == {
        "by": "subject_reference",
        "reference": case.reference,
        "tag_valid": True,
        "sender_known": False,
    }
    assert inbound.interaction.author_contact.name == "Colleague"


def test_a_sender_who_wrote_on_the_case_before_is_known(case, mailbox, make_email):
    colleague = EmailIdentityFactory(value="bob@example.org").contact
    InteractionFactory(case=case, author_contact=colleague)

    inbound = _receive(
        make_email(sender="bob@example.org", subject=f"[{case.reference}] more"), mailbox
    )

    assert inbound.interaction.metadata["threading"]["sender_known"] is True


def test_a_reference_outside_brackets_or_to_no_case_opens_a_new_case(case, mailbox, make_email):
    first = _receive(make_email(subject=f"About our model {case.reference} and more"), mailbox)
    second = _receive(make_email(subject="Re: [CX-999999] gone"), mailbox)

    assert first.case != case
    assert second.case != case
    assert Case.objects.count() == 3


def test_headers_win_over_the_subject_token(case, agent_reply, mailbox, make_email):
    other = CaseFactory(requester=case.requester)

    inbound = _receive(
        make_email(subject=f"Re: [{other.reference}]", in_reply_to="<reply.CX-1@cxdesk.test>"),
        mailbox,
    )

    assert inbound.case == case


def test_a_message_about_nothing_known_opens_a_new_case(case, mailbox, make_email):
    inbound = _receive(make_email(subject="A new problem", in_reply_to="<nobody@x.test>"), mailbox)

    assert inbound.case != case
    assert inbound.case.subject == "A new problem"
    assert inbound.interaction.metadata["threading"] == {"by": "new_case"}


def test_a_second_delivery_of_a_message_id_is_a_duplicate_and_creates_nothing(mailbox, make_email):
    raw = make_email(message_id="<once@example.com>")
    first = _receive(raw, mailbox)
    events = CaseEvent.objects.count()

    second = _receive(make_email(message_id="<once@example.com>", subject="Changed copy"), mailbox)

    assert second.status == Status.DUPLICATE
    assert (second.case, second.interaction) == (first.case, first.interaction)
    assert Case.objects.count() == 1
    assert Interaction.objects.count() == 1
    assert CaseEvent.objects.count() == events


def test_identical_bytes_without_a_message_id_are_a_duplicate(mailbox, make_email):
    raw = make_email().replace(b"Message-ID:", b"X-Old-Message-ID:")

    _receive(raw, mailbox)
    second = _receive(raw, mailbox)

    assert second.status == Status.DUPLICATE
    assert Case.objects.count() == 1


def test_a_reply_to_a_solved_case_reopens_it(case, agent_reply, mailbox, make_email):
    Case.objects.filter(pk=case.pk).update(status=Case.Status.SOLVED)

    inbound = _receive(make_email(in_reply_to="<reply.CX-1@cxdesk.test>"), mailbox)

    case.refresh_from_db()
    assert inbound.case == case
    assert case.status == Case.Status.OPEN
    assert case.reopen_count == 1
    assert case.events.filter(kind=CaseEvent.Kind.REOPENED).exists()


def test_a_reply_to_a_pending_case_opens_it(case, agent_reply, mailbox, make_email):
    Case.objects.filter(pk=case.pk).update(status=Case.Status.PENDING)

    _receive(make_email(in_reply_to="<reply.CX-1@cxdesk.test>"), mailbox)

    case.refresh_from_db()
    assert case.status == Case.Status.OPEN


def test_a_reply_to_a_closed_case_opens_a_linked_follow_up(case, agent_reply, mailbox, make_email):
    Case.objects.filter(pk=case.pk).update(status=Case.Status.CLOSED)

    inbound = _receive(make_email(in_reply_to="<reply.CX-1@cxdesk.test>"), mailbox)

    follow_up = inbound.case
    assert follow_up != case
    assert follow_up.follow_up_of == case
    assert follow_up.requester == case.requester
    assert follow_up.team == case.team
    assert inbound.interaction.case == follow_up
    case.refresh_from_db()
    assert case.status == Case.Status.CLOSED


def test_losing_a_race_on_a_new_message_id_leaves_no_empty_case(mailbox, make_email, monkeypatch):
    """Two workers read "unknown Message-ID" at once; the second one's case_open finds the
    interaction stored by the first, and everything it made is rolled back."""
    first = _receive(make_email(message_id="<race@example.com>", subject="First"), mailbox)
    monkeypatch.setattr(
        services.selectors, "email_interactions_by_message_id", lambda message_ids: {}
    )  # as read before the first one committed

    second = services.email_receive(
        raw=make_email(message_id="<race@example.com>", subject="Second"),
        source="webhook",
        mailbox=mailbox,
    )

    assert second.status == Status.DUPLICATE
    assert (second.case, second.interaction) == (first.case, first.interaction)
    assert list(Case.objects.values_list("subject", flat=True)) == ["First"]
