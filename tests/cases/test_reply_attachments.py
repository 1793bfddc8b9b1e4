"""Files on an agent's reply or note (the case page's composer): stored with the message in
one transaction, sent with an email reply, refused together with it over the limits."""

import pytest
from django.core import mail

from apps.cases import services
from apps.cases.models import Interaction
from tests.factories import CaseFactory, EmailIdentityFactory

pytestmark = pytest.mark.django_db


def test_an_email_reply_carries_its_files_to_the_customer(
    agent, team, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    identity = EmailIdentityFactory(value="ann@example.com")
    case = CaseFactory(team=team, requester=identity.contact)

    with django_capture_on_commit_callbacks(execute=True):
        reply = services.case_reply(
            case_id=case.pk,
            agent=agent,
            body_text="Here is your invoice",
            attachments=[
                {"filename": "invoice.pdf", "content": b"%PDF-1", "content_type": "application/pdf"}
            ],
        )

    assert [a.filename for a in reply.attachments.all()] == ["invoice.pdf"]
    [sent] = mail.outbox
    assert sent.attachments[0][0] == "invoice.pdf"
    assert sent.attachments[0][1] == b"%PDF-1"


def test_a_note_keeps_its_files(agent, team):
    case = CaseFactory(team=team)
    note = services.case_note(
        case_id=case.pk,
        agent=agent,
        body_text="Screenshot of the ledger",
        attachments=[{"filename": "ledger.png", "content": b"png"}],
    )
    assert not note.is_public
    assert note.attachments.get().filename == "ledger.png"


def test_a_file_over_the_limit_refuses_the_whole_reply(agent, team, settings):
    settings.CXDESK_MAX_ATTACHMENT_BYTES = 3
    case = CaseFactory(team=team)
    with pytest.raises(services.AttachmentTooLarge):
        services.case_reply(
            case_id=case.pk,
            agent=agent,
            body_text="Too big",
            attachments=[{"filename": "big.bin", "content": b"1234"}],
        )
    with pytest.raises(services.AttachmentTooLarge):
        services.case_note(
            case_id=case.pk,
            agent=agent,
            body_text="Too big",
            attachments=[{"filename": "big.bin", "content": b"1234"}],
        )
    assert not Interaction.objects.filter(case=case).exists()
