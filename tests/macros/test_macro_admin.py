"""The macro admin: a body naming a placeholder that does not exist is refused with the list
of those that do; scope, team and owner must agree; the list shows each macro's use."""

import pytest
from django.urls import reverse

from apps.macros.models import Macro
from tests.macros.factories import MacroFactory

pytestmark = pytest.mark.django_db


def form(**overrides):
    data = {
        "title": "Refund issued",
        "body": "Hi {contact.first_name}, refunded on {case.reference}.",
        "kind": "reply",
        "is_active": "on",
        "scope": "shared",
        "team": "",
        "owner": "",
        "set_status": "pending",
        "set_priority": "",
        "add_tags": "refund",
        "set_team": "",
        "assign": "me",
    }
    return {**data, **overrides}


def test_an_admin_adds_a_team_macro(admin_client, team):
    response = admin_client.post(
        reverse("admin:macros_macro_add"), form(scope="team", team=team.pk)
    )
    assert response.status_code == 302
    macro = Macro.objects.get()
    assert (macro.scope, macro.team, macro.set_status, macro.assign) == (
        "team",
        team,
        "pending",
        "me",
    )


def test_an_unknown_placeholder_is_refused_naming_the_known_ones(admin_client):
    response = admin_client.post(
        reverse("admin:macros_macro_add"), form(body="Hi {contact.firstname} {case.__class__}")
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "Unknown placeholders {contact.firstname}, {case.__class__}" in body
    assert "{contact.first_name}" in body
    assert not Macro.objects.exists()


def test_a_team_macro_without_its_team_is_a_form_error(admin_client):
    response = admin_client.post(reverse("admin:macros_macro_add"), form(scope="team"))
    assert response.status_code == 200
    assert "a team macro needs its team" in response.content.decode()
    assert not Macro.objects.exists()


def test_the_changelist_shows_use_with_bounded_queries(
    admin_client, team, django_assert_max_num_queries
):
    for _ in range(20):
        MacroFactory(scope="team", team=team, usage_count=3)
    with django_assert_max_num_queries(15):
        response = admin_client.get(reverse("admin:macros_macro_changelist"))
    assert response.status_code == 200
    assert response.content.decode().count("Macro ") >= 20
