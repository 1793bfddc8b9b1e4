"""Admin for Mailbox: IMAP settings (secrets write-only) and polling state."""
