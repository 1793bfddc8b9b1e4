"""The case header's fields, changed in place: with htmx the header comes back, without it
the page redirects (POST-redirect-GET); a refusal is a 4xx naming what was wrong."""

import re

import pytest
from django.urls import reverse

from apps.cases.models import Case, CaseEvent
from tests.factories import AgentFactory, CaseFactory

pytestmark = pytest.mark.django_db
Status = Case.Status
HTMX = {"HTTP_HX_REQUEST": "true"}


def field_url(case, field):
    return reverse("case-field", args=[case.pk, field])


@pytest.fixture
def case(team, agent):
    return CaseFactory(team=team, assignee=agent, status=Status.OPEN, subject="Double charge")


@pytest.fixture
def signed_in(client, agent):
    client.force_login(agent)
    return client


def test_without_js_a_status_change_redirects_to_the_page_with_a_message(signed_in, case):
    response = signed_in.post(field_url(case, "status"), {"status": "pending"})
    assert response.status_code == 302
    assert response["Location"] == reverse("case-detail", args=[case.pk])
    case.refresh_from_db()
    assert case.status == Status.PENDING
    page = signed_in.get(response["Location"])
    assert "Status set to pending." in page.content.decode()


def test_with_htmx_a_status_change_answers_with_the_header_only(signed_in, case):
    response = signed_in.post(field_url(case, "status"), {"status": "on_hold"}, **HTMX)
    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith('<section id="case-header"')
    assert "Status set to on hold." in body
    assert "<html" not in body
    assert case.events.filter(kind=CaseEvent.Kind.STATUS, after="on_hold").exists()


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_an_invalid_transition_is_refused_with_the_services_message(signed_in, team, htmx):
    closed = CaseFactory(team=team, status=Status.CLOSED)
    response = signed_in.post(
        field_url(closed, "status"), {"status": "open"}, **(HTMX if htmx else {})
    )
    assert response.status_code == 409
    assert "a closed case cannot become open (it is final)" in response.content.decode()
    closed.refresh_from_db()
    assert closed.status == Status.CLOSED


def test_an_unknown_status_is_a_400_naming_it(signed_in, case):
    response = signed_in.post(field_url(case, "status"), {"status": "exploded"})
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_priority(signed_in, case, htmx):
    response = signed_in.post(
        field_url(case, "priority"), {"priority": "urgent"}, **(HTMX if htmx else {})
    )
    assert response.status_code == (200 if htmx else 302)
    case.refresh_from_db()
    assert case.priority == "urgent"
    assert signed_in.post(field_url(case, "priority"), {"priority": "meh"}).status_code == 400


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_assignee_to_a_teammate_and_unassigned(signed_in, case, team, htmx):
    mate = AgentFactory(first_name="Pat", last_name="Lee", teams=[team])
    extra = HTMX if htmx else {}
    response = signed_in.post(field_url(case, "assignee"), {"assignee": mate.pk}, **extra)
    assert response.status_code == (200 if htmx else 302)
    case.refresh_from_db()
    assert case.assignee == mate
    signed_in.post(field_url(case, "assignee"), {"assignee": ""}, **extra)
    case.refresh_from_db()
    assert case.assignee is None


def test_assigning_someone_outside_the_team_is_refused(signed_in, case, other_team):
    stranger = AgentFactory(teams=[other_team])
    response = signed_in.post(field_url(case, "assignee"), {"assignee": stranger.pk})
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    case.refresh_from_db()
    assert case.assignee is not None
    assert case.assignee != stranger


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_take_it_assigns_the_case_to_me(signed_in, team, agent, htmx):
    unassigned = CaseFactory(team=team, status=Status.NEW)
    # The select still says "Unassigned"; the button says "me".
    signed_in.post(
        field_url(unassigned, "assignee"), {"assignee": "", "take": "1"}, **(HTMX if htmx else {})
    )
    unassigned.refresh_from_db()
    assert unassigned.assignee == agent
    assert unassigned.status == Status.OPEN  # the service opens a new case it assigns


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_team_moves_among_my_teams_only(signed_in, case, agent, other_team, htmx):
    from tests.factories import TeamFactory

    second = TeamFactory(name="Returns", slug="returns")
    second.members.add(agent)
    extra = HTMX if htmx else {}
    response = signed_in.post(field_url(case, "team"), {"team": second.pk}, **extra)
    assert response.status_code == (200 if htmx else 302)
    case.refresh_from_db()
    assert case.team == second
    refused = signed_in.post(field_url(case, "team"), {"team": other_team.pk}, **extra)
    assert refused.status_code == 400
    case.refresh_from_db()
    assert case.team == second


def test_removing_the_team_of_an_unassigned_case_is_refused_by_the_service(signed_in, team):
    unassigned = CaseFactory(team=team, status=Status.NEW)
    response = signed_in.post(field_url(unassigned, "team"), {"team": ""}, **HTMX)
    assert response.status_code == 400
    assert "a case needs a team or an assignee" in response.content.decode()


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_tags(signed_in, case, htmx):
    extra = HTMX if htmx else {}
    response = signed_in.post(field_url(case, "tags"), {"tags": "Refund, vip ,, refund"}, **extra)
    assert response.status_code == (200 if htmx else 302)
    assert sorted(case.tags.values_list("name", flat=True)) == ["refund", "vip"]
    too_long = signed_in.post(field_url(case, "tags"), {"tags": "x" * 65}, **extra)
    assert too_long.status_code == 400
    assert "at most 64 characters" in too_long.content.decode()
    assert "x" * 65 in too_long.content.decode()  # what was typed is kept


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_subject(signed_in, case, htmx):
    extra = HTMX if htmx else {}
    response = signed_in.post(
        field_url(case, "subject"), {"subject": "Charged twice in May"}, **extra
    )
    assert response.status_code == (200 if htmx else 302)
    case.refresh_from_db()
    assert case.subject == "Charged twice in May"
    blank = signed_in.post(field_url(case, "subject"), {"subject": "   "}, **extra)
    assert blank.status_code == 400
    assert "This field is required." in blank.content.decode()
    case.refresh_from_db()
    assert case.subject == "Charged twice in May"


def test_an_unknown_field_is_not_found(signed_in, case):
    assert signed_in.post(field_url(case, "requester"), {"requester": 1}).status_code == 404


def test_a_field_change_needs_a_post(signed_in, case):
    assert signed_in.get(field_url(case, "status")).status_code == 405


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_routing_a_case_out_of_my_teams_sends_me_back_to_my_queue(client, team, other_team, htmx):
    from tests.factories import SupervisorFactory

    supervisor = SupervisorFactory(teams=[team])
    case = CaseFactory(team=team, status=Status.NEW)
    client.force_login(supervisor)
    response = client.post(
        field_url(case, "team"), {"team": other_team.pk}, **(HTMX if htmx else {})
    )
    case.refresh_from_db()
    assert case.team == other_team
    if htmx:
        assert response["HX-Redirect"] == reverse("home")
    else:
        assert response["Location"] == reverse("home")
    assert f"{case.reference} left your teams." in client.get(reverse("home")).content.decode()


def test_a_refused_field_gets_the_keyboard_focus(signed_in, case):
    """htmx focuses the [autofocus] element of what it swaps in: the field to correct."""
    response = signed_in.post(field_url(case, "subject"), {"subject": ""}, **HTMX)
    [subject_input] = re.findall(r'<input[^>]*name="subject"[^>]*>', response.content.decode())
    assert "autofocus" in subject_input
    shown = signed_in.get(reverse("case-detail", args=[case.pk])).content.decode()
    assert "autofocus" not in shown  # a plain visit does not jump anywhere


def test_hidden_characters_are_markers_in_the_edit_boxes_and_survive_a_save(signed_in, team, agent):
    """The boxes show "⟨U+202E⟩" like the rest of the page; saving what was shown keeps the
    character as stored (evidence), deleting the marker deletes it."""
    from apps.cases import services

    case = CaseFactory(team=team, assignee=agent, subject="Refund \u202efdp.exe")
    services.case_set_tags(case_id=case.pk, tags=["vip\u200f"], actor=agent)
    page = signed_in.get(reverse("case-detail", args=[case.pk])).content.decode()
    assert 'value="Refund ⟨U+202E⟩fdp.exe"' in page
    assert 'value="vip⟨U+200F⟩"' in page
    assert "\u202e" not in page
    assert "\u200f" not in page

    signed_in.post(field_url(case, "tags"), {"tags": "vip⟨U+200F⟩, refund"})
    assert sorted(case.tags.values_list("name", flat=True)) == ["refund", "vip\u200f"]
    signed_in.post(field_url(case, "subject"), {"subject": "Refund fdp.exe ⟨U+0041⟩"})
    case.refresh_from_db()
    assert case.subject == "Refund fdp.exe ⟨U+0041⟩"  # a visible character's "marker" is text
