"""Admin for mail: inbound emails (admin_inbound) and mailboxes (admin_mailbox)."""

from . import admin_inbound, admin_mailbox  # noqa: F401
