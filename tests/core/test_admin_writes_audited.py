"""A change made in the case admin goes through the services: it records its CaseEvent with
the admin as actor, a change the services refuse is a form error, and the fields the page
shows read-only cannot be changed by posting them."""

import pytest
from django.urls import reverse

from apps.cases.models import Case, CaseEvent, Tag
from tests.factories import CaseFactory, TeamFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


def _url(case):
    return reverse("admin:cases_case_change", args=[case.pk])


def _form_data(response) -> dict:
    """What the browser would post back from the change page, unchanged."""
    data = {}
    forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        forms += [inline.formset.management_form, *inline.formset.forms]
    for form in forms:
        for field in form:
            value = field.value()
            if value is not None and value is not False:
                data[field.html_name] = value
    return data


def _post(admin_client, case, **changes):
    data = {**_form_data(admin_client.get(_url(case))), **changes}
    return admin_client.post(_url(case), data)


def test_tags_changed_in_the_admin_record_a_tags_event_by_the_admin(admin_client, admin_user):
    case = CaseFactory()
    vip = Tag.objects.create(name="vip")

    response = _post(admin_client, case, tags=[vip.pk])

    assert response.status_code == 302
    assert list(case.tags.values_list("name", flat=True)) == ["vip"]
    event = case.events.get(kind=CaseEvent.Kind.TAGS)
    assert (event.actor, event.before, event.after) == (admin_user, [], ["vip"])


@pytest.mark.parametrize(
    ("field", "value", "kind"),
    [
        ("status", Case.Status.OPEN, CaseEvent.Kind.STATUS),
        ("priority", Case.Priority.URGENT, CaseEvent.Kind.PRIORITY),
        ("subject", "Refund, please", CaseEvent.Kind.SUBJECT),
    ],
)
def test_each_field_changed_in_the_admin_records_its_event(
    admin_client, admin_user, field, value, kind
):
    case = CaseFactory()

    assert _post(admin_client, case, **{field: value}).status_code == 302

    case.refresh_from_db()
    assert getattr(case, field) == value
    assert case.events.get(kind=kind).actor == admin_user


def test_team_and_assignee_changed_in_the_admin_record_their_events(admin_client, agent, team):
    case = CaseFactory()

    assert _post(admin_client, case, team=team.pk, assignee=agent.pk).status_code == 302

    case.refresh_from_db()
    assert (case.team, case.assignee) == (team, agent)
    kinds = set(case.events.values_list("kind", flat=True))
    assert {CaseEvent.Kind.TEAM, CaseEvent.Kind.ASSIGNEE} <= kinds


def test_a_transition_the_case_does_not_allow_is_a_form_error(admin_client):
    case = CaseFactory(status=Case.Status.CLOSED)

    response = _post(admin_client, case, status=Case.Status.OPEN, priority=Case.Priority.HIGH)

    assert response.status_code == 200
    assert "cannot become open" in str(response.context["adminform"].form.errors["status"])
    case.refresh_from_db()
    assert (case.status, case.priority) == (Case.Status.CLOSED, Case.Priority.NORMAL)
    assert not case.events.exists()  # all or nothing: the priority was not kept either


def test_a_change_is_not_kept_when_the_page_comes_back_with_errors(admin_client):
    case = CaseFactory()
    data = _form_data(admin_client.get(_url(case)))
    del data["events-TOTAL_FORMS"]  # an inline's management form is missing

    response = admin_client.post(_url(case), {**data, "priority": Case.Priority.URGENT})

    assert response.status_code == 200
    case.refresh_from_db()
    assert case.priority == Case.Priority.NORMAL
    assert not case.events.exists()


def test_an_assignee_outside_the_team_is_a_form_error(admin_client, agent, other_team):
    case = CaseFactory(team=other_team)

    response = _post(admin_client, case, assignee=agent.pk)

    assert response.status_code == 200
    assert "assignee" in response.context["adminform"].form.errors
    case.refresh_from_db()
    assert case.assignee is None


def test_read_only_fields_cannot_be_changed_by_posting_them(admin_client):
    case = CaseFactory(custom_fields={"order": "A1"})
    other_requester = CaseFactory().requester
    before = Case.objects.values().get(pk=case.pk)

    response = _post(
        admin_client,
        case,
        channel="phone",
        requester=other_requester.pk,
        custom_fields='{"order": "B2"}',
        reopen_count="7",
        created_at="2001-01-01 00:00:00",
        team=TeamFactory().pk,  # editable: the one change this post makes
    )

    assert response.status_code == 302
    after = Case.objects.values().get(pk=case.pk)
    changed = {name for name in before if before[name] != after[name]}
    assert changed == {"team_id", "updated_at"}
