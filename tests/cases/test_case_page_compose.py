"""The composer: a public reply on the case's channel (or another the requester has), an
internal note, "send and set status", files; without JS a redirect, with htmx the workspace."""

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from apps.cases.models import Case, Channel, Interaction
from apps.contacts.models import ContactIdentity
from tests.factories import CaseFactory, EmailIdentityFactory, InteractionFactory

pytestmark = pytest.mark.django_db
Status = Case.Status
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def case(team, agent):
    identity = EmailIdentityFactory(value="ann@example.com")
    case = CaseFactory(team=team, assignee=agent, status=Status.OPEN, requester=identity.contact)
    InteractionFactory(case=case, body_text="I was charged twice")
    return case


@pytest.fixture
def signed_in(client, agent, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    client.force_login(agent)
    return client


def compose(client, case, htmx=False, **data):
    last = case.interactions.order_by("-pk").first()
    payload = {"kind": "reply", "body": "", "last_seen": last.pk if last else 0, **data}
    return client.post(reverse("case-compose", args=[case.pk]), payload, **(HTMX if htmx else {}))


def test_without_js_a_reply_is_sent_by_email_and_the_page_redirects(
    signed_in, case, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = compose(signed_in, case, body="Refunded the second charge")
    assert response.status_code == 302
    assert response["Location"] == reverse("case-detail", args=[case.pk])
    reply = case.interactions.get(direction="out")
    assert reply.is_public
    assert reply.channel == Channel.EMAIL
    [sent] = mail.outbox
    assert sent.to[0].endswith("<ann@example.com>")
    assert "Refunded the second charge" in sent.body
    page = signed_in.get(response["Location"]).content.decode()
    assert "Reply sent." in page
    assert "Sent" in page  # the delivery state on the message


def test_with_htmx_a_reply_answers_with_the_workspace(signed_in, case):
    response = compose(signed_in, case, htmx=True, body="On it")
    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="case-workspace"')
    assert "On it" in body
    assert "Reply sent." in body
    assert "<html" not in body


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_a_note_is_internal(signed_in, case, htmx):
    response = compose(signed_in, case, htmx=htmx, kind="note", body="Checked the ledger")
    assert response.status_code == (200 if htmx else 302)
    note = case.interactions.get(is_public=False)
    assert note.body_text == "Checked the ledger"
    assert not mail.outbox
    page = signed_in.get(reverse("case-detail", args=[case.pk])).content.decode()
    assert "Internal note" in page


@pytest.mark.parametrize("then", ["pending", "solved", "on_hold"])
def test_send_and_set_status_in_one_action(signed_in, case, then):
    response = compose(signed_in, case, body="Done", then_status=then)
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == then
    assert case.interactions.filter(direction="out", is_public=True).count() == 1


def test_a_refused_status_refuses_the_reply_and_keeps_the_text(signed_in, team, agent):
    case = CaseFactory(team=team, assignee=agent, status=Status.CLOSED)
    response = compose(signed_in, case, body="Hello again", then_status="solved")
    assert response.status_code == 400
    body = response.content.decode()
    assert "is closed; the customer&#x27;s next message opens a follow-up case" in body
    assert "Hello again" in body
    assert not case.interactions.exists()


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_an_empty_message_is_a_400_and_nothing_is_sent(signed_in, case, htmx):
    response = compose(signed_in, case, htmx=htmx, body="   ", then_status="solved")
    assert response.status_code == 400
    assert "Write something before sending." in response.content.decode()
    case.refresh_from_db()
    assert case.status == Status.OPEN
    assert not case.interactions.filter(direction="out").exists()


def test_a_note_cannot_set_a_status(signed_in, case):
    response = compose(signed_in, case, kind="note", body="x", then_status="solved")
    assert response.status_code == 400
    assert "A note does not change the status" in response.content.decode()


def test_a_reply_can_go_on_another_channel_the_requester_has(signed_in, team, agent):
    identity = EmailIdentityFactory(value="bo@example.com")
    ContactIdentity.objects.create(
        contact=identity.contact, kind="social", network="x", value="bo_tweets"
    )
    case = CaseFactory(team=team, assignee=agent, channel=Channel.EMAIL, requester=identity.contact)
    page = signed_in.get(reverse("case-detail", args=[case.pk])).content.decode()
    assert '<option value="social">Social</option>' in page
    compose(signed_in, case, body="Replying on X", channel="social")
    assert case.interactions.get().channel == Channel.SOCIAL
    refused = compose(signed_in, case, body="By chat?", channel="chat")
    assert refused.status_code == 400
    assert "Select a valid choice" in refused.content.decode()


def test_files_go_with_an_email_reply(signed_in, case, django_capture_on_commit_callbacks):
    upload = SimpleUploadedFile("invoice.pdf", b"%PDF-1", content_type="application/pdf")
    with django_capture_on_commit_callbacks(execute=True):
        compose(signed_in, case, body="Attached", attachments=[upload])
    reply = case.interactions.get(direction="out")
    assert reply.attachments.get().filename == "invoice.pdf"
    assert mail.outbox[0].attachments[0][0] == "invoice.pdf"
    page = signed_in.get(reverse("case-detail", args=[case.pk])).content.decode()
    assert reverse("case-attachment", args=[case.pk, reply.attachments.get().pk]) in page


def test_files_on_a_chat_reply_are_refused(signed_in, team, agent):
    case = CaseFactory(team=team, assignee=agent, channel=Channel.CHAT)
    upload = SimpleUploadedFile("a.txt", b"x")
    response = compose(signed_in, case, body="Here", attachments=[upload])
    assert response.status_code == 400
    assert "Files go out by email only" in response.content.decode()
    assert not Interaction.objects.filter(case=case).exists()


def test_a_file_over_the_limit_is_refused_with_the_limit(signed_in, case, settings):
    settings.CXDESK_MAX_ATTACHMENT_BYTES = 3
    upload = SimpleUploadedFile("big.bin", b"1234")
    response = compose(signed_in, case, htmx=True, body="Big one", attachments=[upload])
    assert response.status_code == 413
    body = response.content.decode()
    assert "the limit is 3" in body
    assert "Big one" in body
    assert not case.interactions.filter(direction="out").exists()


def test_a_failed_delivery_shows_its_error_on_the_message(signed_in, team, agent):
    case = CaseFactory(team=team, assignee=agent)
    InteractionFactory(
        case=case,
        direction="out",
        author_contact=None,
        author_agent=agent,
        delivery_status="failed",
        delivery_error="recipient refused: ann@example.com: 550 no such user",
    )
    page = signed_in.get(reverse("case-detail", args=[case.pk])).content.decode()
    assert "Failed: recipient refused: ann@example.com: 550 no such user" in page
