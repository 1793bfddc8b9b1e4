import pytest

from apps.mail.models import Mailbox
from apps.mail.selectors import mailbox_by_address

pytestmark = pytest.mark.django_db


def test_mail_is_routed_to_an_active_mailbox_only():
    active = Mailbox.objects.create(name="Help", email_address="help@example.com")
    Mailbox.objects.create(name="Old", email_address="old@example.com", is_active=False)
    assert mailbox_by_address(address=" HELP@example.com ") == active
    assert mailbox_by_address(address="old@example.com") is None
