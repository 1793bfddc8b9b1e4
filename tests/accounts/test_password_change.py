"""A signed-in agent changes their own password from the header's link."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_the_header_links_to_the_password_change(client, agent):
    client.force_login(agent)
    page = client.get(reverse("home")).content.decode()
    assert f'href="{reverse("password_change")}"' in page


def test_an_agent_changes_their_password_and_signs_in_with_the_new_one(client, agent):
    client.force_login(agent)
    response = client.post(
        reverse("password_change"),
        {
            "old_password": "pw-for-tests-only",
            "new_password1": "brand-new-passphrase-7",
            "new_password2": "brand-new-passphrase-7",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("password_change_done")
    assert "Password changed" in client.get(response["Location"]).content.decode()
    assert "_auth_user_id" in client.session  # still signed in on this browser

    client.logout()
    old = client.post(reverse("login"), {"username": "alex", "password": "pw-for-tests-only"})
    assert old.status_code == 200
    new = client.post(reverse("login"), {"username": "alex", "password": "brand-new-passphrase-7"})
    assert new.status_code == 302


def test_the_old_password_is_required(client, agent):
    client.force_login(agent)
    response = client.post(
        reverse("password_change"),
        {
            "old_password": "not-it",
            "new_password1": "brand-new-passphrase-7",
            "new_password2": "brand-new-passphrase-7",
        },
    )
    assert response.status_code == 200
    assert "Your old password was entered incorrectly" in response.content.decode()


def test_signed_out_visitors_are_sent_to_sign_in(client):
    response = client.get(reverse("password_change"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
