"""Drafts: the composer autosaves what an agent typed (one draft per agent and case), the case
page restores it, sending deletes it; nobody else sees it; another team's case is a 404."""

import pytest
import time_machine
from django.urls import reverse

from apps.cases import services as case_services
from apps.cases.models import Case
from apps.macros.models import DRAFT_MAX_LENGTH, ComposerDraft, Macro
from tests.factories import AgentFactory, CaseFactory, EmailIdentityFactory, InteractionFactory
from tests.macros.factories import MacroFactory

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def case(team, agent):
    identity = EmailIdentityFactory(contact__name="Ann Example")
    case = CaseFactory(
        team=team, assignee=agent, status=Case.Status.OPEN, requester=identity.contact
    )
    InteractionFactory(case=case, body_text="Where is my parcel?")
    return case


@pytest.fixture
def signed_in(client, agent, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    client.force_login(agent)
    return client


def last_seen(case):
    return case.interactions.order_by("-pk").values_list("pk", flat=True).first() or 0


def save(client, case, htmx=True, **data):
    payload = {"kind": "reply", "body": "", "last_seen": last_seen(case), **data}
    return client.post(
        reverse("case-compose-draft", args=[case.pk]), payload, **(HTMX if htmx else {})
    )


def page(client, case):
    return client.get(reverse("case-detail", args=[case.pk]))


@time_machine.travel("2026-03-02 12:03:00+00:00", tick=False)
def test_a_draft_is_saved_and_says_when(signed_in, case, agent, settings):
    settings.TIME_ZONE = "UTC"
    response = save(signed_in, case, body="Checking with the carrier", kind="note")
    assert response.status_code == 200
    assert "Draft saved" in response.content.decode()
    assert ">12:03</time>" in response.content.decode()
    draft = ComposerDraft.objects.get(agent=agent, case=case)
    assert (draft.body, draft.kind) == ("Checking with the carrier", "note")


def test_the_page_restores_the_draft(signed_in, case):
    save(signed_in, case, body="Half-written answer", kind="note")
    response = page(signed_in, case)
    form = response.context["compose"]
    assert form["body"].value() == "Half-written answer"
    assert form["kind"].value() == "note"
    assert "Draft saved" in response.content.decode()
    save(signed_in, case, body="Half-written answer, more")
    assert page(signed_in, case).context["compose"]["body"].value() == "Half-written answer, more"
    assert ComposerDraft.objects.count() == 1  # one per agent and case


def test_the_draft_keeps_the_channel_and_a_staged_macro(signed_in, case, team):
    macro = MacroFactory(
        title="Chase", body="We chased it.", set_priority="high", set_status="pending"
    )
    save(signed_in, case, body="We chased it.", channel="email", macro=macro.pk)
    response = page(signed_in, case)
    form = response.context["compose"]
    assert form["macro"].value() == macro.pk
    assert form["then_status"].value() == "pending"
    assert response.context["staged"].macro == macro
    assert "Priority → High" in response.content.decode()


def test_applying_a_macro_saves_the_draft_at_once(signed_in, case, agent):
    macro = MacroFactory(title="Hello", body="Hello {contact.first_name}")
    signed_in.post(
        reverse("case-compose-macro", args=[case.pk]),
        {"macro_pick": macro.pk, "kind": "reply", "last_seen": last_seen(case)},
        **HTMX,
    )
    draft = ComposerDraft.objects.get(agent=agent, case=case)
    assert (draft.body, draft.macro) == ("Hello Ann", macro)


def test_sending_deletes_the_draft(signed_in, case, agent):
    save(signed_in, case, body="Final answer")
    response = signed_in.post(
        reverse("case-compose", args=[case.pk]),
        {"kind": "reply", "body": "Final answer", "last_seen": last_seen(case)},
    )
    assert response.status_code == 302
    assert not ComposerDraft.objects.filter(agent=agent).exists()
    assert page(signed_in, case).context["compose"]["body"].value() in (None, "")


def test_a_refused_send_keeps_the_draft(signed_in, case, agent):
    save(signed_in, case, body="Answer")
    case_services.case_transition(case_id=case.pk, to="solved", actor=agent)
    case_services.case_transition(case_id=case.pk, to="closed", actor=agent)
    response = signed_in.post(
        reverse("case-compose", args=[case.pk]),
        {"kind": "reply", "body": "Answer", "last_seen": last_seen(case)},
    )
    assert response.status_code == 400
    assert ComposerDraft.objects.filter(agent=agent).exists()


def test_a_late_autosave_from_a_sent_composer_is_dropped(signed_in, case, agent):
    seen = last_seen(case)
    case_services.case_reply(case_id=case.pk, agent=agent, body_text="Sent already")
    response = save(signed_in, case, body="Sent already", last_seen=seen)
    assert response.status_code == 204
    assert not ComposerDraft.objects.exists()


def test_an_emptied_composer_discards_the_draft(signed_in, case):
    save(signed_in, case, body="Something")
    response = save(signed_in, case, body="   ")
    assert response.status_code == 200
    assert "Draft saved" not in response.content.decode()
    assert not ComposerDraft.objects.exists()


def test_a_body_over_the_limit_is_a_413_and_nothing_is_saved(signed_in, case):
    save(signed_in, case, body="Kept")
    response = save(signed_in, case, body="x" * (DRAFT_MAX_LENGTH + 1))
    assert response.status_code == 413
    assert "at most 100,000 characters" in response.content.decode()
    assert ComposerDraft.objects.get().body == "Kept"


@pytest.mark.parametrize(
    "bad", [{"macro": "abc"}, {"last_seen": "-1"}, {"channel": "x" * 50}, {"macro": str(2**70)}]
)
def test_malformed_fields_are_a_400(signed_in, case, bad):
    response = save(signed_in, case, body="x", **bad)
    assert response.status_code == 400
    assert "Draft not saved" in response.content.decode()
    assert not ComposerDraft.objects.exists()


def test_a_macro_the_agent_may_not_use_is_not_kept(signed_in, case, other_team):
    theirs = MacroFactory(scope=Macro.Scope.TEAM, team=other_team)
    save(signed_in, case, body="Hi", macro=theirs.pk)
    assert ComposerDraft.objects.get().macro is None


def test_another_agent_never_sees_my_draft(signed_in, case, team, client, agent):
    save(signed_in, case, body="My private wording")
    colleague = AgentFactory(teams=[team])
    client.force_login(colleague)
    response = page(client, case)
    assert "My private wording" not in response.content.decode()
    assert response.context["draft"] is None
    save(client, case, body="Theirs")
    assert ComposerDraft.objects.get(agent=agent).body == "My private wording"


def test_another_teams_case_is_a_404(client, other_team, team):
    stranger = AgentFactory(teams=[other_team])
    case = CaseFactory(team=team)
    client.force_login(stranger)
    assert save(client, case, body="x").status_code == 404
    response = client.post(
        reverse("case-compose-macro", args=[case.pk]), {"macro_pick": MacroFactory().pk}
    )
    assert response.status_code == 404
    assert client.get(reverse("case-compose-draft", args=[case.pk])).status_code == 404
    assert not ComposerDraft.objects.exists()


def test_signed_out_is_sent_to_sign_in(client, case):
    response = save(client, case, htmx=False, body="x")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]
