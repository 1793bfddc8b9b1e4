"""Bidi controls and invisible characters in customer data are shown as markers on every page
that displays them — our pages and the admin — and stored unchanged (issue 7.10)."""

import re

import pytest
from django.urls import reverse

from apps.cases import services
from apps.cases.models import Attachment, Case
from apps.chat.models import ChatSession
from apps.contacts.models import Contact, ContactEvent
from apps.mail.services import email_receive
from apps.phone.models import Call
from tests.chat.factories import ChatWidgetFactory
from tests.factories import CaseFactory, ContactFactory, EmailIdentityFactory, InteractionFactory

pytestmark = pytest.mark.django_db

FILENAME = "invoice\u202egnp.exe"  # shows as "invoiceexe.png"
SHOWN_FILENAME = "invoice⟨U+202E⟩gnp.exe"
NAME = "\u2066Ann\u2069 Lee"
SHOWN_NAME = "⟨U+2066⟩Ann⟨U+2069⟩ Lee"
SUBJECT = "Refund \u202efdp.exe"
SHOWN_SUBJECT = "Refund ⟨U+202E⟩fdp.exe"
TAG = "vip\u200f"
SHOWN_TAG = "vip⟨U+200F⟩"
RAW = {"\u202e", "\u2066", "\u2069", "\u200f"}


@pytest.fixture
def spoofed(agent, team):
    contact = ContactFactory(name=NAME)
    EmailIdentityFactory(contact=contact, value="ann\u202e@example.com")
    case = CaseFactory(subject=SUBJECT, requester=contact, team=team)
    message = InteractionFactory(case=case)
    services.attachment_add(interaction=message, filename=FILENAME, content=b"MZ")
    services.case_set_tags(case_id=case.pk, tags=[TAG], actor=agent)
    # Rows of the logs that name the contact: an audit event, a chat, a call.
    ContactEvent.objects.create(contact=contact, kind=ContactEvent.Kind.CREATED)
    ChatSession.objects.create(
        widget=ChatWidgetFactory(team=team), case=case, contact=contact, visitor_id="v_" + "0" * 16
    )
    Call.objects.create(
        sid="CA" + "0" * 32,
        direction=Call.Direction.INBOUND,
        from_number="+12025550143",
        to_number="+12025550100",
        case=case,
        contact=contact,
    )
    return case


def _text(response) -> str:
    assert response.status_code == 200
    return response.content.decode()


def _assert_revealed(page: str, *shown: str):
    text_only = re.sub(r"<[^>]*>", "", page)
    for text in shown:
        assert text in text_only, text
    # (Django's action checkboxes name the object for screen readers only: not shown.)
    shown_markup = re.sub(r'aria-label="[^"]*"', "", page)
    leaked = {char for char in RAW if char in shown_markup}
    assert not leaked, [f"U+{ord(c):04X}" for c in leaked]


def test_the_queue_shows_markers_in_subjects_names_and_tags(client, agent, spoofed):
    client.force_login(agent)
    page = _text(client.get(reverse("home")))
    _assert_revealed(page, SHOWN_NAME, SHOWN_TAG)
    assert (
        'Refund <mark class="cx-hidden-char" title="Hidden character: right-to-left '
        'override">⟨U+202E⟩</mark>fdp.exe'
    ) in page


def test_the_case_page_shows_markers_in_title_heading_filename_and_identity(client, agent, spoofed):
    client.force_login(agent)
    page = _text(client.get(reverse("case-detail", args=[spoofed.pk])))
    assert f"<title>{spoofed.reference} · {SHOWN_SUBJECT} · cxdesk</title>" in page
    _assert_revealed(page, SHOWN_FILENAME, SHOWN_NAME, SHOWN_TAG, "ann⟨U+202E⟩@example.com")


def test_the_data_itself_is_stored_unchanged(client, agent, spoofed):
    client.force_login(agent)
    client.get(reverse("case-detail", args=[spoofed.pk]))
    assert Case.objects.get(pk=spoofed.pk).subject == SUBJECT
    assert Attachment.objects.get().filename == FILENAME
    assert Contact.objects.get(pk=spoofed.requester_id).name == NAME


@pytest.mark.parametrize(
    "url_name",
    [
        "admin:cases_case_changelist",
        "admin:contacts_contact_changelist",
        "admin:contacts_contactidentity_changelist",
        "admin:contacts_contactevent_changelist",
        "admin:cases_tag_changelist",
        "admin:cases_interaction_changelist",
        "admin:chat_chatsession_changelist",
        "admin:phone_call_changelist",
    ],
)
def test_admin_lists_show_markers(admin_client, spoofed, url_name):
    page = _text(admin_client.get(reverse(url_name)))
    assert "⟨U+" in page
    _assert_revealed(page)


# Admins of what only admins configure (tokens, subscriptions, widgets, social accounts).
NO_CUSTOMER_TEXT = {
    "api.ApiToken",
    "webhooks.WebhookSubscription",
    "chat.ChatWidget",
    "social.SocialAccount",
    "sla.BusinessCalendar",
    "sla.SlaPolicy",
}


def test_every_admin_of_customer_data_reveals_hidden_characters():
    """An admin page added later without RevealHiddenAdmin would show customer text raw."""
    from django.contrib import admin

    from apps.core.admin import RevealHiddenAdmin

    raw = [
        model._meta.label
        for model, model_admin in admin.site._registry.items()
        if model.__module__.startswith("apps.")
        and model._meta.label not in NO_CUSTOMER_TEXT
        and not isinstance(model_admin, RevealHiddenAdmin)
    ]
    assert raw == []


def test_the_missing_attachment_page_and_the_merge_page_show_markers(
    client, admin_client, agent, spoofed
):
    attachment = Attachment.objects.get(interaction__case=spoofed)
    attachment.file.delete(save=False)
    client.force_login(agent)
    missing = client.get(f"/cases/{spoofed.pk}/attachments/{attachment.pk}/")
    assert missing.status_code == 410
    _assert_revealed(missing.content.decode(), SHOWN_FILENAME)

    other = ContactFactory(name="Bob")
    merge = admin_client.post(
        reverse("admin:contacts_contact_changelist"),
        {"action": "merge_selected", "_selected_action": [spoofed.requester_id, other.pk]},
    )
    _assert_revealed(_text(merge), SHOWN_NAME)


def test_the_admin_case_page_shows_markers(admin_client, spoofed):
    page = _text(admin_client.get(reverse("admin:cases_case_change", args=[spoofed.pk])))
    # The subject is edited here (through the services): its input holds the data as it is.
    subject_input = re.search(r'<input[^>]* name="subject"[^>]*>', page).group(0)
    assert f'value="{SUBJECT}"' in subject_input
    _assert_revealed(page.replace(subject_input, ""), SHOWN_SUBJECT, SHOWN_NAME)
    # The requester stays a link to the contact.
    contact_url = reverse("admin:contacts_contact_change", args=[spoofed.requester_id])
    assert f'<a href="{contact_url}">{SHOWN_NAME}</a>' in page


def test_the_admin_interaction_page_shows_the_attachments_real_name(admin_client, spoofed):
    interaction = spoofed.interactions.get()
    page = _text(admin_client.get(reverse("admin:cases_interaction_change", args=[interaction.pk])))
    inline = page.split('id="attachments-group"')[1]
    assert SHOWN_FILENAME in inline
    assert "\u202e" not in inline


def test_the_admin_contact_form_keeps_the_raw_name_to_edit(admin_client, spoofed):
    url = reverse("admin:contacts_contact_change", args=[spoofed.requester_id])
    page = _text(admin_client.get(url))
    assert f'value="{NAME}"' in page  # the input holds the data as it is
    assert f"<h2>{SHOWN_NAME}</h2>" in page
    identities = page.split('id="identities-group"')[1]
    assert "ann⟨U+202E⟩@example.com" in identities
    assert "\u202e" not in identities


def test_an_inbound_email_in_the_admin_shows_markers_in_its_headers(admin_client):
    raw = (
        b"From: =?utf-8?q?=E2=81=A6Ann=E2=81=A9?= <ann@example.com>\r\n"
        b"To: support@cxdesk.test\r\nSubject: =?utf-8?q?invoice=E2=80=AEgnp.exe?=\r\n"
        b"Message-ID: <spoof-1@example.com>\r\n\r\nSee attached.\r\n"
    )
    inbound = email_receive(raw=raw, source="upload")
    page = _text(admin_client.get(reverse("admin:mail_inboundemail_change", args=[inbound.pk])))
    _assert_revealed(page, SHOWN_FILENAME, "⟨U+2066⟩Ann⟨U+2069⟩")
    listing = _text(admin_client.get(reverse("admin:mail_inboundemail_changelist")))
    _assert_revealed(listing)
