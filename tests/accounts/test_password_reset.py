"""An agent who forgot their password resets it by email: the whole journey, and what the
reset must not do (reveal accounts, be sent without limit)."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse

from tests.factories import AgentFactory

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-new-long-passphrase-42"


@pytest.fixture(autouse=True)
def _limits(settings):
    settings.CXDESK_PASSWORD_RESET_RATE = "3/hour"
    settings.AXES_FAILURE_LIMIT = 5
    settings.AXES_COOLOFF_TIME = timedelta(minutes=15)


def _ask(client, email, address="198.51.100.7"):
    return client.post(reverse("password_reset"), {"email": email}, REMOTE_ADDR=address)


def _link(message) -> str:
    return re.search(r"https?://[^/\s]+(/accounts/password/reset/\S+/)", message.body).group(1)


def test_the_sign_in_page_offers_the_reset(client):
    page = client.get(reverse("login")).content.decode()
    assert f'href="{reverse("password_reset")}"' in page


def test_an_agent_resets_their_password_by_email_and_signs_in_with_it(client, agent):
    response = _ask(client, "ALEX@cxdesk.test")
    assert response.status_code == 302
    assert response["Location"] == reverse("password_reset_done")
    assert "Check your email" in client.get(response["Location"]).content.decode()

    [message] = mail.outbox
    assert message.to == ["alex@cxdesk.test"]
    assert message.subject == "Reset your cxdesk password"
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    assert _link(message) in html

    form = client.get(_link(message), follow=True)  # Django swaps the token for a session key
    assert form.status_code == 200
    assert "Set a new password" in form.content.decode()
    done = client.post(
        form.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )
    assert done.status_code == 302
    assert done["Location"] == reverse("password_reset_complete")
    assert "Password set" in client.get(done["Location"]).content.decode()

    signed_in = client.post(reverse("login"), {"username": "alex", "password": NEW_PASSWORD})
    assert signed_in.status_code == 302
    assert "_auth_user_id" in client.session
    # The link worked once.
    client.logout()
    again = client.get(_link(message), follow=True)
    assert "This link no longer works" in again.content.decode()


def test_an_unknown_address_gets_the_same_answer_and_no_email(client, agent):
    known = _ask(client, "alex@cxdesk.test")
    unknown = _ask(client, "nobody@example.com")
    assert (unknown.status_code, unknown["Location"]) == (known.status_code, known["Location"])
    assert [m.to for m in mail.outbox] == [["alex@cxdesk.test"]]


def test_a_weak_new_password_is_refused_with_the_reason(client, agent):
    _ask(client, "alex@cxdesk.test")
    form = client.get(_link(mail.outbox[0]), follow=True)
    response = client.post(
        form.redirect_chain[-1][0], {"new_password1": "12345678", "new_password2": "12345678"}
    )
    assert response.status_code == 200
    assert "This password is too common" in response.content.decode()


def test_requests_from_one_address_are_limited(client, agent):
    for n in range(3):
        assert _ask(client, f"someone{n}@example.com").status_code == 302
    response = _ask(client, "alex@cxdesk.test")
    assert response.status_code == 429
    page = " ".join(response.content.decode().split())
    assert "Too many password reset requests" in page
    # The wait it names is the throttle's, not a fixed hour (the rate is a setting).
    assert f"wait {round(int(response['Retry-After']) / 60) or 1} minute" in page
    assert mail.outbox == []
    # Another address is not affected.
    assert _ask(client, "alex@cxdesk.test", address="192.0.2.10").status_code == 302
    assert len(mail.outbox) == 1


def test_one_mailbox_gets_a_limited_number_of_emails_and_the_answer_does_not_change(client, agent):
    for n in range(5):
        response = _ask(client, "alex@cxdesk.test", address=f"203.0.113.{n + 1}")
        assert response.status_code == 302
        assert response["Location"] == reverse("password_reset_done")
    assert len(mail.outbox) == 3


def test_setting_a_new_password_lifts_the_accounts_sign_in_lockout(client):
    AgentFactory(username="lee", email="lee@cxdesk.test")
    for n in range(5):
        client.post(
            reverse("login"),
            {"username": "lee", "password": "wrong"},
            REMOTE_ADDR=f"203.0.113.{n + 1}",
        )
    _ask(client, "lee@cxdesk.test")
    form = client.get(_link(mail.outbox[0]), follow=True)
    client.post(
        form.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )
    response = client.post(reverse("login"), {"username": "lee", "password": NEW_PASSWORD})
    assert response.status_code == 302
    assert "_auth_user_id" in client.session
