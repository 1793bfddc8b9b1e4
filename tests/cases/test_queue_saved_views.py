"""Personal saved views: a name for the queue's filters and sort, listed in the switcher."""

import pytest
from django.test import Client
from django.urls import reverse

from apps.cases.models import Case, SavedView
from tests.factories import AgentFactory, CaseFactory

pytestmark = pytest.mark.django_db
Priority = Case.Priority


def _save(client, name, query):
    return client.post(reverse("queue-view-create"), {"name": name, "query": query})


@pytest.fixture
def signed_in(client, agent):
    client.force_login(agent)
    return client


def test_a_saved_view_keeps_the_filters_and_sort_and_lists_them(signed_in, agent, team):
    CaseFactory(team=team, subject="urgent one", priority=Priority.URGENT)
    CaseFactory(team=team, subject="calm one", priority=Priority.LOW)
    response = _save(
        signed_in, "  Urgent   ones ", "view=all&priority=urgent&sort=age&after=x~1&bogus=1&tag="
    )
    saved = SavedView.objects.get()
    assert (saved.owner, saved.name) == (agent, "Urgent ones")
    assert saved.query == "view=all&priority=urgent&sort=age"  # no cursor, nothing unknown
    assert response.status_code == 302
    assert response["Location"] == "/?view=all&priority=urgent&sort=age"

    page = signed_in.get(response["Location"])
    assert [c.subject for c in page.context["page"].rows] == ["urgent one"]
    body = page.content.decode()
    assert 'href="/?view=all&amp;priority=urgent&amp;sort=age" aria-current="page"' in body
    assert "Urgent ones" in body
    # The switcher's partial lists it too (and marks it when told which query is shown).
    partial = signed_in.get(reverse("queue-counts"), {"query": saved.query}).content.decode()
    assert "★ Urgent ones" in partial
    assert 'aria-current="page"' in partial


def test_saved_views_are_personal(signed_in, agent, team):
    _save(signed_in, "Mine only", "view=mine")
    other = AgentFactory(teams=[team])
    client = Client()
    client.force_login(other)
    assert "Mine only" not in client.get(reverse("home")).content.decode()
    saved = SavedView.objects.get()
    response = client.post(reverse("queue-view-delete", args=[saved.pk]))
    assert response.status_code == 404
    assert SavedView.objects.filter(pk=saved.pk).exists()


def test_the_owner_deletes_a_saved_view(signed_in):
    _save(signed_in, "Pending", "view=pending")
    saved = SavedView.objects.get()
    response = signed_in.post(
        reverse("queue-view-delete", args=[saved.pk]), {"next": "/?view=pending"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/?view=pending"
    assert not SavedView.objects.exists()


@pytest.mark.parametrize(
    ("name", "query", "message"),
    [
        ("   ", "view=all", "Name: This field is required."),
        ("x" * 81, "view=all", "at most 80 characters"),
        ("Dup", "view=all", "You already have a view named “Dup”."),
        ("Bad", "view=all&priority=extreme", "These filters cannot be read"),
    ],
)
def test_a_view_it_cannot_save_is_a_400_saying_why_keeping_the_name(
    signed_in, name, query, message
):
    SavedView.objects.create(
        owner=signed_in.get(reverse("home")).wsgi_request.user, name="dup", query=""
    )
    response = _save(signed_in, name, query)
    body = response.content.decode()
    assert response.status_code == 400
    assert message in body
    if name.strip():
        assert f'value="{name}"' in body  # nothing typed is lost
    assert SavedView.objects.count() == 1


def test_saving_needs_a_login_and_a_post(client, signed_in):
    assert signed_in.get(reverse("queue-view-create")).status_code == 405
    client.logout()
    response = _save(client, "x", "view=all")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert not SavedView.objects.exists()
