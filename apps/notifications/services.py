"""Notifications: written in the transaction of what they announce, read in the app, and
e-mailed to the recipient when asked (an outbox: EMAILS, on apps/core/outbox.py).

E-mail is at least once, like every outbox: a worker lost after the mail server accepted the
message and before the row said so sends it again after the lease.
"""

from collections.abc import Iterable
from datetime import datetime, timedelta
from functools import partial
from typing import NamedTuple

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from apps.accounts.types import User
from apps.cases.models import Case
from apps.core.outbox import Backoff, Outbox
from apps.core.queue import enqueue_each

from . import selectors
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


class Notice(NamedTuple):
    """One notification to write. With a `source` (models.py: the event, interaction or
    clock it is about) it is written at most once per recipient and kind."""

    recipient: User
    kind: str
    case: Case | None
    text: str
    source: str = ""
    link: str = ""  # a path on this site, for a notice about no case


def notify_many(
    items: Iterable[Notice | tuple[User, str, Case | None, str]], *, email: bool = False
) -> list[Notification]:
    """Write the notifications, in one INSERT; with `email`, each recipient who has an
    address is also mailed, by a task queued after commit. Returns the rows written.

    A notice with a `source` already stored for its recipient and kind — the same
    announcement delivered again, a sweep run twice, twice in one batch — is skipped: one
    query finds the stored ones, the INSERT ignores a concurrent writer's (the unique
    constraint), and one query reads the new rows' ids back (≤ 3 queries whatever the batch).
    """
    notices: list[Notice] = []
    keys: set[tuple[int, str, str]] = set()
    for item in items:
        notice = item if isinstance(item, Notice) else Notice(*item)
        if notice.source:
            key = (notice.recipient.pk, notice.kind, notice.source)
            if key in keys:
                continue
            keys.add(key)
        notices.append(notice)
    created = Notification.objects.bulk_create(
        [_row(notice, email=email) for notice in notices if not notice.source]
    )
    created += _create_once([notice for notice in notices if notice.source], email=email)
    to_mail = [row.pk for row in created if row.email_status == Email.PENDING]
    if to_mail:
        transaction.on_commit(partial(enqueue_each, SEND_TASK, to_mail))
    return created


def _row(notice: Notice, *, email: bool) -> Notification:
    return Notification(
        recipient=notice.recipient,
        kind=notice.kind,
        case=notice.case,
        text=notice.text[:500],
        source=notice.source,
        link=safe_link(notice.link),
        email_status=Email.PENDING if email and notice.recipient.email else Email.NONE,
    )


def _create_once(notices: list[Notice], *, email: bool) -> list[Notification]:
    """Insert the notices not stored yet (each has a source); the rows inserted, with ids."""
    if not notices:
        return []

    def key(recipient_id: int, kind: str, source: str) -> tuple[int, str, str]:
        return (recipient_id, kind, source)

    def near(queryset: QuerySet[Notification]) -> QuerySet[Notification]:
        return queryset.filter(
            recipient_id__in={n.recipient.pk for n in notices},
            source__in={n.source for n in notices},
        )

    stored = set(near(Notification.objects.all()).values_list("recipient_id", "kind", "source"))
    fresh = [n for n in notices if key(n.recipient.pk, n.kind, n.source) not in stored]
    if not fresh:
        return []
    Notification.objects.bulk_create(
        [_row(notice, email=email) for notice in fresh], ignore_conflicts=True
    )
    wanted = {key(n.recipient.pk, n.kind, n.source) for n in fresh}
    rows = {
        key(row.recipient_id, row.kind, row.source): row
        for row in near(Notification.objects.all())
        if key(row.recipient_id, row.kind, row.source) in wanted
    }
    return [rows[k] for n in fresh if (k := key(n.recipient.pk, n.kind, n.source)) in rows]


def safe_link(link: str) -> str:
    """`link` when it is a path on this site ("/x", never "//host" nor "/\\host"), else blank."""
    link = (link or "").strip()
    if not link.startswith("/") or link[1:2] in ("/", "\\"):
        return ""
    return link[:200]


def notifications_mark_read(*, user: User, ids: Iterable[int] | None = None) -> int:
    """Mark the user's notifications read (all unread ones, or only `ids`)."""
    unread = selectors.notifications_of(user).filter(read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=list(ids))
    return unread.update(read_at=timezone.now())


def _message(notification: Notification) -> tuple[str, str]:
    subject = f"[cxdesk] {notification.get_kind_display()}: {notification.text}"[:250]
    lines = [notification.text, ""]
    if notification.case_id:
        url = reverse("case-detail", args=[notification.case_id])
        lines.append(f"Open the case: {settings.CXDESK_PUBLIC_URL}{url}")
    elif notification.link:
        lines.append(f"Open it: {settings.CXDESK_PUBLIC_URL}{notification.link}")
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
