from celery import shared_task


@shared_task(acks_late=True)
def poll_mailboxes() -> int:
    """Beat: poll every active IMAP mailbox (filled in by the IMAP poller)."""
    from . import imap

    return imap.mailboxes_poll()
