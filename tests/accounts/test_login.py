import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_the_login_page_is_served(client):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert b"Sign in to cxdesk" in response.content


def test_an_agent_signs_in_and_lands_on_their_queue(client, agent):
    response = client.post(reverse("login"), {"username": "alex", "password": "pw-for-tests-only"})
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert client.get(reverse("home")).status_code == 200


def test_a_wrong_password_is_refused_with_a_message(client, agent):
    response = client.post(reverse("login"), {"username": "alex", "password": "nope"})
    assert response.status_code == 200
    assert "didn't match" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_signing_out_needs_a_post(client, agent):
    client.force_login(agent)
    assert client.post(reverse("logout")).status_code == 302
    assert "_auth_user_id" not in client.session


def test_agents_do_not_get_the_admin_site(client, agent):
    client.force_login(agent)
    assert client.get("/admin/").status_code == 302


def test_agent_create_gives_roles_and_teams(team):
    from apps.accounts.models import AgentProfile, role_of
    from apps.accounts.services import agent_create

    boss = agent_create(
        username="boss",
        email="Boss@Example.com",
        role=AgentProfile.Role.ADMIN,
        password="a-long-password-1",
    )
    sup = agent_create(
        username="sup", email="sup@example.com", role=AgentProfile.Role.SUPERVISOR, teams=[team]
    )
    assert boss.is_staff
    assert boss.is_superuser
    assert boss.email == "boss@example.com"
    assert role_of(boss) == "admin"
    assert role_of(sup) == "supervisor"
    assert not sup.is_staff
    assert not sup.has_usable_password()
    assert list(sup.teams.all()) == [team]
