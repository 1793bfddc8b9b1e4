"""`manage.py demo_data` configures what a new user finds around the cases, so no page of
the demo is empty: channels, calls, chat sessions, files, saved views, notifications."""

from io import StringIO

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db.models import Count
from django.http import QueryDict

from apps.cases.filters_web import QueueFilter
from apps.cases.models import Attachment, Case, CaseEvent, Interaction, SavedView
from apps.cases.queues import Scope
from apps.chat.models import ChatSession
from apps.mail.models import InboundEmail, Mailbox
from apps.notifications.models import Notification
from apps.phone.models import Call
from apps.social.models import SocialAccount, SocialEvent
from apps.webhooks.models import WebhookDelivery

pytestmark = pytest.mark.django_db

# Admin pages the demo leaves empty on purpose: sign-in logs, and Django's own tables.
EMPTY_ON_PURPOSE = {
    "auth.Group",
    "axes.AccessAttempt",  # sign-in logs: filled by signing in
    "axes.AccessLog",
    "axes.AccessFailureLog",
    "django_celery_beat.PeriodicTask",  # written by beat from CELERY_BEAT_SCHEDULE at start
    "django_celery_beat.ClockedSchedule",
    "django_celery_beat.CrontabSchedule",
    "django_celery_beat.SolarSchedule",
    "django_celery_beat.IntervalSchedule",
}


def load() -> str:
    out = StringIO()
    call_command("demo_data", "--cases", "40", stdout=out)
    return out.getvalue()


def test_no_admin_page_is_empty():
    load()
    empty = [
        model._meta.label
        for model in admin.site._registry
        if model._meta.label not in EMPTY_ON_PURPOSE and not model.objects.exists()
    ]
    assert not empty, f"empty admin pages after demo_data: {empty}"


def test_the_channels_are_configured_as_a_new_user_finds_them():
    load()
    mailbox = Mailbox.objects.get()
    assert (mailbox.email_address, mailbox.team.slug) == (
        "help@brightcart.example",
        "customer-care",
    )
    assert mailbox.imap_host == ""  # fed by the provider's webhook: nothing to poll
    assert set(SocialAccount.objects.values_list("network", flat=True)) == {
        "x",
        "instagram",
        "facebook",
    }
    # One email came through the real ingester, with its two attachments.
    inbound = InboundEmail.objects.get()
    assert inbound.status == InboundEmail.Status.PROCESSED
    files = Attachment.objects.filter(interaction__case=inbound.case)
    assert sorted(files.values_list("filename", flat=True)) == ["parcel.png", "receipt.pdf"]


def test_every_demo_call_is_logged_with_direction_duration_and_disposition():
    load()
    calls = list(Call.objects.select_related("interaction"))
    assert calls
    with_facts = Interaction.objects.filter(channel="phone").exclude(metadata__direction=None)
    assert len(calls) == with_facts.count()
    for call in calls:
        assert call.direction in ("inbound", "outbound")
        assert call.interaction.metadata["call_sid"] == call.sid
        assert call.disposition in Call.Disposition.values
        assert call.disposition
        assert call.duration_seconds > 0
    assert {c.direction for c in calls} == {"inbound", "outbound"}


def test_each_demo_chat_has_its_session_and_its_messages_name_it():
    load()
    chats = Case.objects.filter(channel="chat")
    assert chats.exists()
    assert ChatSession.objects.count() == chats.count()
    for session in ChatSession.objects.all():
        ids = {
            i.metadata.get("chat_session_id")
            for i in session.case.interactions.filter(channel="chat")
        }
        assert ids == {session.pk}


def test_files_saved_views_and_notifications_for_the_agents():
    load()
    files = Attachment.objects.exclude(interaction__case__inbound_emails__isnull=False)
    kinds = set(files.values_list("content_type", flat=True))
    assert {"application/pdf", "image/png"} <= kinds
    pdf = files.filter(content_type="application/pdf").first()
    with pdf.file.open("rb") as f:
        content = f.read()
    assert content.startswith(b"%PDF-1.4")
    assert content.rstrip().endswith(b"%%EOF")
    assert Attachment.objects.filter(interaction__is_public=False).exists()  # on a note

    alex = get_user_model().objects.get(username="alex.agent")
    views = SavedView.objects.filter(owner=alex)
    assert views.count() == 3
    for view in views:  # each one a query the queue page reads
        filters = QueueFilter(
            QueryDict(view.query), queryset=Case.objects.none(), scope=Scope.of(alex)
        )
        assert filters.is_valid(), (view.name, filters.errors)
    assert Notification.objects.filter(recipient=alex, read_at=None).exists()


def test_the_saved_views_open_for_their_owner(client):
    load()
    alex = get_user_model().objects.get(username="alex.agent")
    client.force_login(alex)
    for view in SavedView.objects.filter(owner=alex):
        response = client.get("/?" + view.query)
        assert response.status_code == 200
        assert view.name in response.content.decode()


def test_a_second_run_adds_nothing():
    load()
    models = [Mailbox, SocialAccount, Call, ChatSession, Attachment, SavedView, Notification]
    models += [InboundEmail, Case, Interaction, SocialEvent, WebhookDelivery]
    before = {m.__name__: m.objects.count() for m in models}
    out = load()
    assert {m.__name__: m.objects.count() for m in models} == before
    assert "added" not in out
    # and nothing was attached twice
    dupes = Attachment.objects.values("interaction", "filename").annotate(n=Count("pk"))
    assert not dupes.filter(n__gt=1).exists()


def test_the_admins_widget_list_links_each_widgets_demo_page(client):
    load()
    from apps.chat.models import ChatWidget

    client.force_login(get_user_model().objects.get(username="admin"))
    widget = ChatWidget.objects.get(name="Demo shop")
    page = client.get("/admin/chat/chatwidget/").content.decode()
    assert f'href="/channels/chat/demo/{widget.public_key}/"' in page


def test_the_banner_names_the_url_the_logins_and_the_chat_page(tmp_path, settings):
    from apps.chat.models import ChatWidget

    settings.CXDESK_PUBLIC_URL = "http://127.0.0.1:8136"
    banner = tmp_path / "var" / "demo-banner.txt"
    call_command("demo_data", "--cases", "40", "--banner", str(banner), stdout=StringIO())
    text = banner.read_text()
    widget = ChatWidget.objects.get(name="Demo shop")
    assert "cxdesk demo on http://127.0.0.1:8136/" in text
    assert "'demo-pass-2026'" in text
    for login in ("alex.agent", "sam.super", "noah.kim", "admin"):
        assert login in text
    assert f"http://127.0.0.1:8136/channels/chat/demo/{widget.public_key}/" in text
    assert "Ctrl-C stops all three" in text


def test_solved_cases_carry_root_causes_and_open_ones_get_suggestions():
    from apps.rootcauses.models import RootCause, RootCauseSuggestion

    load()
    tagged = Case.objects.exclude(root_cause=None)
    assert RootCause.objects.filter(parent=None).count() == 3  # billing, delivery, app
    assert tagged.exists()
    assert not tagged.exclude(status__in=["solved", "closed"]).exists()
    assert CaseEvent.objects.filter(kind="root_cause").count() == tagged.count()  # audited
    assert RootCauseSuggestion.objects.filter(case__status__in=["new", "open"]).exists()
