"""Notifications: written in the transaction of what they announce, read in the app, and
e-mailed to the recipient when asked (an outbox: EMAILS, on apps/core/outbox.py).

E-mail is at least once, like every outbox: a worker lost after the mail server accepted the
message and before the row said so sends it again after the lease.
"""

from collections.abc import Iterable
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from apps.accounts.types import User
from apps.cases.models import Case
from apps.core.outbox import Backoff, Outbox
from apps.core.queue import enqueue_each

from .models import Notification

Kind = Notification.Kind
Email = Notification.Email
SEND_TASK = "apps.notifications.tasks.email_notification"
MAX_ATTEMPTS = 5

EMAILS = Outbox(
    model=Notification,
    ready=Email.PENDING,
    claimed=Email.SENDING,
    done=Email.SENT,
    failed=Email.FAILED,
    max_attempts=MAX_ATTEMPTS,
    lease=timedelta(minutes=5),
    status_field="email_status",
    attempts_field="email_attempts",
    error_field="email_error",
    claimed_at_field="email_claimed_at",
    next_attempt_field="email_next_attempt_at",
    null_is_due=True,  # a notification not tried yet has no next attempt time
    backoff=Backoff(base=timedelta(minutes=1), cap=timedelta(hours=1), jitter=0.1),
    lost_error="the worker mailing this stopped before it finished; claim released",
    gave_up_error=f"the worker mailing this stopped before it finished, {MAX_ATTEMPTS} times",
)


def notify_many(
    items: Iterable[tuple[User, str, Case | None, str]], *, email: bool = False
) -> list[Notification]:
    """One notification per (recipient, kind, case, text), in one INSERT; with `email`, each
    recipient who has an address is also mailed, by a task queued after commit."""
    rows = [
        Notification(
            recipient=user,
            kind=kind,
            case=case,
            text=text[:500],
            email_status=Email.PENDING if email and user.email else Email.NONE,
        )
        for user, kind, case, text in items
    ]
    if not rows:
        return []
    created = Notification.objects.bulk_create(rows)
    to_mail = [row.pk for row in created if row.email_status == Email.PENDING]
    if to_mail:
        transaction.on_commit(partial(enqueue_each, SEND_TASK, to_mail))
    return created


def notifications_mark_read(*, user: User, ids: Iterable[int] | None = None) -> int:
    """Mark the user's notifications read (all unread ones, or only `ids`)."""
    unread = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=list(ids))
    return unread.update(read_at=timezone.now())


def _message(notification: Notification) -> tuple[str, str]:
    subject = f"[cxdesk] {notification.get_kind_display()}: {notification.text}"[:250]
    lines = [notification.text, ""]
    if notification.case_id:
        url = reverse("case-detail", args=[notification.case_id])
        lines.append(f"Open the case: {settings.CXDESK_PUBLIC_URL}{url}")
    lines += ["", f"All your notifications: {settings.CXDESK_PUBLIC_URL}/notifications/"]
    return subject.replace("\n", " "), "\n".join(lines)


def notification_email_send(
    *, notification_id: int, now: datetime | None = None
) -> datetime | None:
    """One attempt to mail a notification. Returns when to try again after a transient
    failure, else None (sent, failed for good, or not ours: sent, claimed, not due)."""
    now = now or timezone.now()
    claim = EMAILS.claim(
        notification_id, now=now, queryset=Notification.objects.select_related("recipient")
    )
    if claim is None:
        return None
    notification = claim.row
    address = notification.recipient.email
    if not address or not notification.recipient.is_active:
        EMAILS.fail(claim, "the recipient has no e-mail address or is inactive")
        return None
    subject, body = _message(notification)
    try:
        send_mail(subject, body, None, [address])
    except Exception as exc:  # noqa: BLE001 — SMTP and backend errors vary; all are retried
        return EMAILS.retry(claim, f"{type(exc).__name__}: {exc}", now=now)
    EMAILS.succeed(claim, emailed_at=timezone.now())
    return None


def emails_due(*, limit: int = 500, now: datetime | None = None) -> list[int]:
    """Notifications to mail whose time has come, after releasing dead workers' claims."""
    EMAILS.release_stale(now=now)
    return EMAILS.due(limit=limit, now=now)


def emails_sweep(*, limit: int = 500) -> int:
    return enqueue_each(SEND_TASK, emails_due(limit=limit))
