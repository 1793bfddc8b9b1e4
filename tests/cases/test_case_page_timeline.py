"""What the case page shows: one timeline across channels, email HTML rendered safely,
calls with their facts, a chat session together, the audit trail on demand, and the
requester panel (customer 360)."""

import pytest
from django.urls import reverse

from apps.cases import services
from apps.cases.models import Case, Interaction
from apps.contacts.models import ContactIdentity
from apps.phone.services import call_log
from tests.factories import CaseFactory, InteractionFactory, OrganizationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(team, agent):
    return CaseFactory(team=team, assignee=agent, status=Case.Status.OPEN)


def page(client, agent, case) -> str:
    client.force_login(agent)
    response = client.get(reverse("case-detail", args=[case.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_email_html_is_shown_sanitised_without_remote_images(client, agent, case):
    InteractionFactory(
        case=case, body_html='<p>Hi <b>team</b><img src="https://track.example/p.gif"></p>'
    )
    # A row written around the store's sanitiser (an import): still cleaned on display.
    raw = InteractionFactory(case=case, body_text="raw")
    Interaction.objects.filter(pk=raw.pk).update(
        body_html='<p onclick="steal()">Hello</p><script>alert(1)</script>'
    )
    body = page(client, agent, case)
    # The remote image is kept by its address, but not loaded (tests/cases/test_quoted.py).
    assert '<p>Hi <b>team</b><img data-src="https://track.example/p.gif"></p>' in body
    assert ' src="https://track.example' not in body  # nothing to load
    assert "<script>alert(1)" not in body
    assert "onclick" not in body
    assert "<p>Hello</p>" in body


def test_plain_text_is_escaped(client, agent, case):
    InteractionFactory(case=case, body_text="<b>not bold</b>\nsecond line")
    body = page(client, agent, case)
    assert "&lt;b&gt;not bold&lt;/b&gt;<br>second line" in body


def test_a_call_shows_direction_duration_and_disposition(client, agent, case):
    call_log(
        case=case,
        agent=agent,
        direction="outbound",
        number="+12025550143",
        duration_seconds=125,
        disposition="resolved",
    )
    body = page(client, agent, case)
    assert "<span>Outbound call</span>" in body
    assert "<span>2:05</span>" in body
    assert "<span>Resolved</span>" in body


def test_a_social_message_shows_its_network_and_handle(client, agent, case):
    InteractionFactory(
        case=case,
        channel="social",
        body_text="where is it?",
        metadata={"network": "instagram", "sender_handle": "ann.pics"},
    )
    InteractionFactory(case=case, channel="social", body_text="no network known", metadata={})
    body = page(client, agent, case)
    assert "Social inbound · instagram @ann.pics</span>" in body
    assert "Social inbound</span>" in body  # the one without: nothing after the channel


def test_a_chat_sessions_messages_are_grouped(client, agent, case):
    for text in ("hello", "anyone?"):
        InteractionFactory(
            case=case, channel="chat", body_text=text, metadata={"chat_session_id": 7}
        )
    InteractionFactory(case=case, channel="email", body_text="later by email")
    body = page(client, agent, case)
    assert body.count('class="chat-session"') == 1
    assert "Chat session · 2 messages" in body


def test_notes_are_set_apart(client, agent, case):
    services.case_note(case_id=case.pk, agent=agent, body_text="Checked the ledger")
    body = page(client, agent, case)
    assert 'class="interaction out channel-web note"' in body
    assert '<span class="note-badge">Internal note</span>' in body


def test_the_audit_trail_loads_on_demand(client, agent, case):
    services.case_set_priority(case_id=case.pk, priority="high", actor=agent)
    body = page(client, agent, case)
    assert "Priority changed" not in body  # not on the page itself
    assert f'hx-get="{reverse("case-history", args=[case.pk])}"' in body
    partial = client.get(reverse("case-history", args=[case.pk]), HTTP_HX_REQUEST="true")
    assert "Priority changed by alex: normal → high" in partial.content.decode()
    assert "<html" not in partial.content.decode()
    full = client.get(reverse("case-history", args=[case.pk]))
    assert "<html" in full.content.decode()
    assert "Priority changed" in full.content.decode()


def test_the_requester_panel_is_a_customer_360(client, agent, team, other_team, case):
    contact = case.requester
    contact.organization = OrganizationFactory(name="Acme Ltd")
    contact.save()
    ContactIdentity.objects.create(contact=contact, kind="email", value="ann@acme.test")
    ContactIdentity.objects.create(contact=contact, kind="phone", value="+12025550143")
    earlier = CaseFactory(
        team=team, requester=contact, channel="phone", status="solved", subject="Old call"
    )
    CaseFactory(team=other_team, requester=contact, subject="Elsewhere secret")
    body = page(client, agent, case)
    assert f'<a href="{reverse("contact-detail", args=[contact.pk])}">' in body
    assert "Acme Ltd" in body
    assert "ann@acme.test" in body
    assert "+12025550143" in body
    assert earlier.reference in body
    assert "Old call" in body
    assert "Elsewhere secret" not in body
    assert "3 in all, 2 open" in body


def test_a_merge_is_shown_in_the_header_not_only_in_the_audit_trail(client, agent, team, case):
    duplicate = CaseFactory(team=team, requester=case.requester, subject="Same thing")
    services.case_merge(source_id=duplicate.pk, target_id=case.pk, actor=agent)
    body = page(client, agent, case)
    header = body.split('id="case-header"')[1].split("</section>")[0]
    assert (
        f'Another case merged in by alex: <a href="/cases/{duplicate.pk}/">'
        f"{duplicate.reference}</a>"
    ) in header
