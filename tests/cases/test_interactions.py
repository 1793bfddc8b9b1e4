import pytest
from django.db import IntegrityError

from apps.cases import services
from apps.cases.models import Case, CaseEvent, Interaction
from tests.factories import AgentFactory, CaseFactory, ContactFactory, InteractionFactory

pytestmark = pytest.mark.django_db
Status = Case.Status


def test_html_bodies_are_sanitised_and_text_derived():
    case = CaseFactory()
    interaction = services.interaction_add(
        case_id=case.pk,
        channel="email",
        direction="in",
        author_contact=case.requester,
        body_html="<p>Hello <b>team</b></p><script>alert(1)</script>"
        '<a href="javascript:alert(2)" onclick="x()">link</a><p>Fish &amp; chips</p>',
    )
    assert "<script" not in interaction.body_html
    assert "onclick" not in interaction.body_html
    assert "javascript:" not in interaction.body_html
    assert "<b>team</b>" in interaction.body_html
    assert interaction.body_text.splitlines()[0] == "Hello team"
    assert "Fish & chips" in interaction.body_text
    assert "alert" not in interaction.body_text


def test_an_external_id_is_stored_once_per_channel():
    case = CaseFactory()
    kwargs = {
        "case_id": case.pk,
        "direction": "in",
        "author_contact": case.requester,
        "body_text": "hello",
        "external_id": "CA123",
    }
    first = services.interaction_add(channel="phone", **kwargs)
    again = services.interaction_add(channel="phone", **kwargs)
    other_channel = services.interaction_add(channel="chat", **kwargs)
    assert first == again != other_channel
    assert case.interactions.count() == 2
    assert case.events.filter(kind=CaseEvent.Kind.INTERACTION).count() == 2


def test_the_database_refuses_a_duplicate_external_id():
    existing = InteractionFactory(channel="email", external_id="<m1@example.com>")
    with pytest.raises(IntegrityError):
        InteractionFactory(channel="email", external_id="<m1@example.com>", case=existing.case)


def test_empty_external_ids_are_not_unique():
    case = CaseFactory()
    InteractionFactory.create_batch(3, case=case, channel="web", external_id="")
    assert case.interactions.count() == 3


def test_an_interaction_has_one_author_at_most():
    case = CaseFactory()
    with pytest.raises(IntegrityError):
        InteractionFactory(case=case, author_contact=case.requester, author_agent=AgentFactory())


def test_the_first_agent_reply_is_the_first_response(agent):
    case = CaseFactory(status=Status.NEW)
    services.case_note(case_id=case.pk, agent=agent, body_text="internal")
    case.refresh_from_db()
    assert case.first_response_at is None
    reply = services.case_reply(case_id=case.pk, agent=agent, body_text="We are on it")
    services.case_reply(case_id=case.pk, agent=agent, body_text="Update")
    case.refresh_from_db()
    assert case.first_response_at == reply.occurred_at
    assert reply.channel == case.channel
    assert reply.direction == "out"
    assert reply.is_public


def test_a_reply_to_a_new_unassigned_case_assigns_and_opens_it(agent, team):
    case = CaseFactory(status=Status.NEW, team=team)
    services.case_reply(case_id=case.pk, agent=agent, body_text="Hello")
    case.refresh_from_db()
    assert (case.status, case.assignee) == (Status.OPEN, agent)


def test_a_reply_can_leave_the_case_pending(agent):
    case = CaseFactory(status=Status.OPEN, assignee=agent)
    services.case_reply(
        case_id=case.pk, agent=agent, body_text="Can you send a photo?", then_status=Status.PENDING
    )
    case.refresh_from_db()
    assert case.status == Status.PENDING


def test_an_agent_outside_the_team_answering_does_not_take_the_case(team, other_team):
    outsider = AgentFactory(teams=[other_team])
    case = CaseFactory(status=Status.NEW, team=team)
    services.case_reply(case_id=case.pk, agent=outsider, body_text="Hello")
    case.refresh_from_db()
    assert case.assignee is None
    assert case.status == Status.OPEN


def test_a_reply_on_another_channel_is_kept_on_that_channel(agent):
    case = CaseFactory(channel="email", status=Status.OPEN)
    reply = services.case_reply(
        case_id=case.pk,
        agent=agent,
        body_text="Calling you",
        channel="phone",
        metadata={"duration_seconds": 90},
    )
    assert reply.channel == "phone"
    assert reply.metadata == {"duration_seconds": 90}


def test_attachments_are_stored_with_size_and_type(settings):
    interaction = InteractionFactory()
    attachment = services.attachment_add(
        interaction=interaction,
        filename="../../etc/passwd",
        content=b"%PDF-1.7 data",
        content_type="application/pdf",
    )
    assert attachment.size == 13
    assert attachment.content_type == "application/pdf"
    assert ".." not in attachment.file.name
    assert attachment.file.read() == b"%PDF-1.7 data"


def test_an_oversized_attachment_is_refused(settings):
    settings.CXDESK_MAX_ATTACHMENT_BYTES = 10
    interaction = InteractionFactory()
    with pytest.raises(services.AttachmentTooLarge, match="the limit is 10"):
        services.attachment_add(interaction=interaction, filename="big.bin", content=b"x" * 11)
    assert not interaction.attachments.exists()


def test_opening_a_case_without_a_subject_gives_it_one():
    case = services.case_open(
        requester=ContactFactory(), subject="   ", channel="chat", body_text="hi"
    ).case
    assert case.subject == "(no subject)"
    assert case.reference == f"CX-{case.pk:06d}"


def test_references_are_found_in_text():
    from apps.cases.models import parse_reference

    assert parse_reference("Re: [CX-000123] refund") == 123
    assert parse_reference("re: [cx-42]") == 42
    assert parse_reference("ACX-12 no") is None
    assert parse_reference("") is None
    assert Interaction.Direction.INBOUND == "in"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"channel": "fax"}, "unknown channel 'fax'"),
        ({"direction": "sideways"}, "unknown direction 'sideways'"),
    ],
)
def test_unknown_channels_and_directions_are_refused(kwargs, message):
    case = CaseFactory()
    arguments = {
        "case_id": case.pk,
        "channel": "email",
        "direction": "in",
        "body_text": "x",
        "author_contact": case.requester,
        **kwargs,
    }
    with pytest.raises(services.CaseError, match=message):
        services.interaction_add(**arguments)
    assert not case.interactions.exists()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"channel": "pigeon"}, "unknown channel"), ({"priority": "p1"}, "unknown priority")],
)
def test_a_case_with_unknown_choices_is_not_opened(kwargs, message):
    with pytest.raises(services.CaseError, match=message):
        services.case_open(
            requester=ContactFactory(), subject="x", **{"channel": "email", **kwargs}
        )
    assert not Case.objects.exists()


def test_a_closed_case_takes_no_reply(agent):
    case = CaseFactory(status=Status.CLOSED)
    with pytest.raises(services.CaseError, match="is closed"):
        services.case_reply(case_id=case.pk, agent=agent, body_text="Hello?")
    assert not case.interactions.exists()
    assert not case.events.exists()


def test_an_imported_reply_keeps_its_time_as_the_first_response(agent):
    from datetime import timedelta

    from django.utils import timezone

    case = CaseFactory(status=Status.OPEN)
    when = timezone.now() - timedelta(days=2)
    reply = services.case_reply(
        case_id=case.pk, agent=agent, body_text="Answered by phone", occurred_at=when
    )
    case.refresh_from_db()
    assert reply.occurred_at == when == case.first_response_at


def test_opening_a_case_hands_back_its_first_message():
    case, interaction = services.case_open(
        requester=ContactFactory(),
        subject="Hi",
        channel="web",
        body_text="first words",
        external_id="web-1",
    )
    assert interaction.body_text == "first words"
    assert interaction.case_id == case.pk
