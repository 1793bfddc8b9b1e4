"""Celery tasks of the mail app: thin, idempotent, ids in (see imap.py for the work)."""

from celery import shared_task


@shared_task(acks_late=True)
def poll_mailboxes() -> int:
    """Beat ("poll-mailboxes"): poll every active IMAP mailbox. Safe to run twice at once:
    a mailbox being polled by another worker is skipped (claimed in the database)."""
    from . import imap

    return imap.mailboxes_poll()


@shared_task(acks_late=True)
def poll_mailbox(mailbox_id: int) -> int:
    """Poll one mailbox now (the admin's "poll now"); a no-op while another poll runs."""
    from . import imap

    return imap.mailbox_poll(mailbox_id=mailbox_id)


@shared_task(acks_late=True)
def process_stale_inbound_emails() -> dict:
    """Beat ("process-stale-inbound-emails"): process raw emails stored but never processed
    (a worker died between storing and processing), fewest attempts first; mark failed those
    tried services.MAX_PROCESSING_ATTEMPTS times. Bounded and safe to run twice."""
    from . import services

    return services.emails_process_stale()
