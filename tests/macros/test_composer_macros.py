"""Applying a macro in the composer: its body filled in for the case, what it will change
listed, nothing changed until sent; on send its actions go through the case services (each
with its CaseEvent) in the request of the reply; another team's macro is never applied."""

import pytest
from django.urls import reverse

from apps.cases.models import Case, CaseEvent
from apps.macros.models import ComposerDraft, Macro
from tests.factories import AgentFactory, CaseFactory, EmailIdentityFactory, InteractionFactory
from tests.macros.factories import MacroFactory

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}
Status = Case.Status


@pytest.fixture
def case(team, agent):
    identity = EmailIdentityFactory(value="ann@example.com", contact__name="Ann Example")
    case = CaseFactory(
        team=team, assignee=agent, status=Status.OPEN, requester=identity.contact, subject="Refund"
    )
    InteractionFactory(case=case, body_text="I was charged twice")
    return case


@pytest.fixture
def signed_in(client, agent, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    agent.first_name = "Alex"
    agent.save()
    client.force_login(agent)
    return client


@pytest.fixture
def refund(team):
    return MacroFactory(
        title="Refund issued",
        body="Hi {contact.first_name}, the refund for {case.reference} is on its way. "
        "{agent.first_name}",
        set_priority=Case.Priority.HIGH,
        add_tags="refund, Billing-Error",
        set_status=Status.PENDING,
    )


def last_seen(case):
    return case.interactions.order_by("-pk").values_list("pk", flat=True).first() or 0


def apply(client, case, macro_id, htmx=True, **data):
    payload = {"macro_pick": macro_id, "kind": "reply", "last_seen": last_seen(case), **data}
    return client.post(
        reverse("case-compose-macro", args=[case.pk]), payload, **(HTMX if htmx else {})
    )


def send(client, case, htmx=False, **data):
    payload = {"kind": "reply", "last_seen": last_seen(case), **data}
    return client.post(reverse("case-compose", args=[case.pk]), payload, **(HTMX if htmx else {}))


def test_the_case_page_offers_the_agents_macros(signed_in, case, refund, other_team):
    MacroFactory(title="Logistics only", scope=Macro.Scope.TEAM, team=other_team)
    page = signed_in.get(reverse("case-detail", args=[case.pk])).content.decode()
    assert f'<option value="{refund.pk}">Refund issued</option>' in page
    assert "Logistics only" not in page


@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "plain"])
def test_applying_fills_the_body_in_and_lists_the_changes_without_changing_the_case(
    signed_in, case, refund, htmx
):
    response = apply(signed_in, case, refund.pk, htmx=htmx, body="Thanks for waiting.")
    assert response.status_code == 200
    body = response.content.decode()
    if htmx:
        assert body.lstrip().startswith('<section id="composer"')
    else:
        assert "<html" in body
    form = response.context["compose"]
    assert form["body"].value() == (
        f"Thanks for waiting.\n\nHi Ann, the refund for {case.reference} is on its way. Alex"
    )
    assert form["macro"].value() == refund.pk
    assert form["then_status"].value() == Status.PENDING  # the status travels in the form
    assert "Priority → High" in body
    assert "Add tags: refund, billing-error" in body
    case.refresh_from_db()
    assert (case.priority, case.status) == (Case.Priority.NORMAL, Status.OPEN)
    assert not case.interactions.filter(direction="out").exists()
    assert not CaseEvent.objects.filter(case=case, kind__in=["priority", "tags"]).exists()


@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "plain"])
def test_sending_applies_the_actions_with_their_events(signed_in, case, refund, htmx):
    response = send(
        signed_in,
        case,
        htmx=htmx,
        body="Hi Ann, refunded.",
        macro=refund.pk,
        then_status=Status.PENDING,
    )
    assert response.status_code == (200 if htmx else 302)
    case.refresh_from_db()
    assert case.priority == Case.Priority.HIGH
    assert case.status == Status.PENDING
    assert sorted(case.tags.values_list("name", flat=True)) == ["billing-error", "refund"]
    assert case.interactions.get(direction="out").body_text == "Hi Ann, refunded."
    events = {e.kind: e for e in CaseEvent.objects.filter(case=case)}
    assert events["priority"].actor == response.wsgi_request.user
    assert events["priority"].after == "high"
    assert events["tags"].after == ["billing-error", "refund"]
    assert events["status"].after == "pending"
    refund.refresh_from_db()
    assert refund.usage_count == 1
    assert refund.last_used_at is not None
    page = signed_in.get(reverse("case-detail", args=[case.pk])).content.decode()
    if not htmx:
        assert "Reply sent and status set to pending. Macro “Refund issued” applied." in page


def test_the_agents_choice_in_then_set_status_wins_over_the_macros(signed_in, case, refund):
    send(signed_in, case, body="Hi", macro=refund.pk, then_status="")
    case.refresh_from_db()
    assert case.status == Status.OPEN  # "leave as it is" was chosen in the form
    assert case.priority == Case.Priority.HIGH


def test_a_note_macro_sets_its_status_itself(signed_in, case):
    hold = MacroFactory(
        title="Waiting on warehouse",
        body="Asked the warehouse.",
        kind=Macro.Kind.NOTE,
        set_status=Status.ON_HOLD,
    )
    response = apply(signed_in, case, hold.pk)
    assert response.context["compose"]["kind"].value() == "note"
    send(signed_in, case, kind="note", body="Asked the warehouse.", macro=hold.pk)
    case.refresh_from_db()
    assert case.status == Status.ON_HOLD
    assert case.interactions.get(is_public=False).body_text == "Asked the warehouse."


def test_assign_to_me_and_team_actions(signed_in, case, team, agent):
    teammate = AgentFactory(teams=[team])
    case.assignee = teammate
    case.save()
    take = MacroFactory(title="Take", body="Mine now.", assign=Macro.Assign.ME, set_team=team)
    send(signed_in, case, body="Mine now.", macro=take.pk)
    case.refresh_from_db()
    assert case.assignee == agent
    assert CaseEvent.objects.filter(case=case, kind="assignee", actor=agent).exists()


def test_another_teams_macro_is_a_404_to_apply(signed_in, case, other_team):
    theirs = MacroFactory(title="Theirs", scope=Macro.Scope.TEAM, team=other_team)
    assert apply(signed_in, case, theirs.pk).status_code == 404
    assert apply(signed_in, case, 2**70).status_code == 404
    assert not ComposerDraft.objects.exists()


@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "plain"])
def test_another_teams_macro_is_never_applied_on_send(signed_in, case, other_team, htmx):
    theirs = MacroFactory(
        title="Theirs", scope=Macro.Scope.TEAM, team=other_team, set_priority="urgent"
    )
    response = send(signed_in, case, htmx=htmx, body="Hello there", macro=theirs.pk)
    assert response.status_code == 400
    body = response.content.decode()
    assert "That macro is not available to you" in body
    assert "Hello there" in body  # nothing typed is lost
    assert response.context["compose"]["macro"].value() in ("", None)  # taken off
    case.refresh_from_db()
    assert case.priority == Case.Priority.NORMAL
    assert not case.interactions.filter(direction="out").exists()
    theirs.refresh_from_db()
    assert theirs.usage_count == 0


def test_a_refused_action_sends_nothing(signed_in, case, other_team):
    # An agent may not route to a team they are not in: the macro's team action is refused,
    # and the reply of the same request is not sent either.
    route = MacroFactory(title="To logistics", body="Moving you.", set_team=other_team)
    response = send(signed_in, case, body="Moving you.", macro=route.pk)
    assert response.status_code == 400
    assert "is not in team Logistics" in response.content.decode()
    assert not case.interactions.filter(direction="out").exists()
    case.refresh_from_db()
    assert case.team.name == "Billing"


def test_a_macro_routing_the_case_away_sends_the_agent_to_their_queue(
    signed_in, case, supervisor, client, other_team
):
    client.force_login(supervisor)
    route = MacroFactory(
        title="To logistics", body="Moving you.", set_team=other_team, assign=Macro.Assign.UNASSIGN
    )
    response = send(client, case, body="Moving you.", macro=route.pk)
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    case.refresh_from_db()
    assert case.team == other_team
    assert case.assignee is None


def test_unknown_and_empty_placeholders_are_warned_about(signed_in, case):
    odd = MacroFactory(title="Odd", body="Hi {contact.nmae} of {team.name}", scope="shared")
    case.team.name = ""  # a team always has a name; use a case without one instead
    case.team = None
    case.save()
    response = apply(signed_in, case, odd.pk)
    body = response.content.decode()
    assert "{contact.nmae} is not a placeholder: it is left as written." in body
    assert "{team.name} has no value on this case: it is left empty." in body
    assert response.context["compose"]["body"].value() == "Hi {contact.nmae} of "


def test_apply_without_a_choice_is_a_400_keeping_the_text(signed_in, case, refund):
    response = apply(signed_in, case, "", body="Half a thought")
    assert response.status_code == 400
    body = response.content.decode()
    assert "Choose a macro first." in body
    assert "Half a thought" in body


def test_hostile_placeholders_in_a_macro_reach_nothing(signed_in, case):
    evil = MacroFactory(title="Evil", body="{case.__class__} {agent.password} {{case.reference}}")
    response = apply(signed_in, case, evil.pk)
    value = response.context["compose"]["body"].value()
    assert value == "{case.__class__} {agent.password} {" + case.reference + "}"
    assert "pbkdf2" not in response.content.decode()
    assert "md5$" not in response.content.decode()
