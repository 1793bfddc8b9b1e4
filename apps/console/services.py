"""The console's writes: the weekly report e-mailed to each supervisor.

Every hour beat calls `weekly_reports_sweep`: for the last whole week (Monday 00:00 to
Monday 00:00 of TIME_ZONE) it writes one WeeklyReport row per supervisor who wants it
(`AgentProfile.weekly_report`, on their settings page) — once per person and week, by the
constraint, however often it runs — and enqueues the rows that are due. Each row is sent
through an outbox (REPORTS, apps/core/outbox.py): one claim wins, a lost worker's claim is
released and counts as an attempt, transient mail errors back off, and a retried task that
finds the row sent does nothing. E-mail is at least once, like every outbox.

The message (HTML and text, templates/console/weekly_email.*) holds the week's key figures
beside the week before (apps/console/reports.py computes them), counted over the
supervisor's teams as their reports page is.
"""

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from apps.accounts.models import AgentProfile
from apps.core.outbox import Backoff, Outbox
from apps.core.queue import enqueue_each

from . import reports
from .models import WeeklyReport

SEND_TASK = "apps.console.tasks.send_weekly_report"
MAX_ATTEMPTS = 5
Status = WeeklyReport.Status

REPORTS = Outbox(
    model=WeeklyReport,
    ready=Status.PENDING,
    claimed=Status.SENDING,
    done=Status.SENT,
    failed=Status.FAILED,
    max_attempts=MAX_ATTEMPTS,
    lease=timedelta(minutes=10),
    null_is_due=True,  # a report not tried yet has no next attempt time
    backoff=Backoff(base=timedelta(minutes=5), cap=timedelta(hours=2), jitter=0.1),
    lost_error="the worker mailing this report stopped before it finished; claim released",
    gave_up_error=f"the worker mailing this report stopped before it ended, {MAX_ATTEMPTS} times",
)


def last_week(now: datetime | None = None) -> tuple[datetime, datetime]:
    """Monday 00:00 of the week before `now`'s and of `now`'s week, in TIME_ZONE (DST-aware:
    a week with a clock change is 167 or 169 hours)."""
    zone = timezone.get_default_timezone()
    today = timezone.localtime(now or timezone.now(), zone).date()
    monday = today - timedelta(days=today.weekday())
    end = timezone.make_aware(datetime.combine(monday, datetime.min.time()), zone)
    start = timezone.make_aware(
        datetime.combine(monday - timedelta(days=7), datetime.min.time()), zone
    )
    return start, end


def weekly_reports_queue(*, now: datetime | None = None) -> int:
    """Write last week's report row for every supervisor who wants one (once each, whatever
    the number of runs); returns how many rows are new."""
    start, end = last_week(now)
    recipients = (
        get_user_model()
        .objects.filter(
            is_active=True,
            profile__role=AgentProfile.Role.SUPERVISOR,
            profile__weekly_report=True,
        )
        .exclude(email="")
        .values_list("pk", flat=True)
    )
    before = WeeklyReport.objects.filter(week_start=start).count()
    WeeklyReport.objects.bulk_create(
        [WeeklyReport(recipient_id=pk, week_start=start, week_end=end) for pk in recipients],
        ignore_conflicts=True,
    )
    return WeeklyReport.objects.filter(week_start=start).count() - before


def weekly_reports_sweep(*, now: datetime | None = None, limit: int = 500) -> int:
    """Beat: queue last week's reports, release dead workers' claims, enqueue the due ones."""
    weekly_reports_queue(now=now)
    REPORTS.release_stale(now=now)
    return enqueue_each(SEND_TASK, REPORTS.due(limit=limit, now=now))


def _message(report: WeeklyReport, user: Any) -> EmailMultiAlternatives:
    figures = reports.center_report(
        user=user, start=report.week_start, end=report.week_end, filters=reports.Filters()
    )
    base = settings.CXDESK_PUBLIC_URL
    context = {
        "user": user,
        "report": figures,
        "week_start": timezone.localtime(report.week_start),
        "week_last_day": timezone.localtime(report.week_end - timedelta(days=1)),
        "attainment": reports.attainment_rows(figures),
        "times": reports.time_rows(figures),
        "reports_url": f"{base}{reverse('console:reports')}",
        "settings_url": f"{base}{reverse('account-settings')}",
    }
    subject = f"[cxdesk] Your week: {figures['volume']['cases']} cases, week of " + context[
        "week_start"
    ].strftime("%-d %b %Y")
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string("console/weekly_email.txt", context),
        to=[user.email],
    )
    message.attach_alternative(render_to_string("console/weekly_email.html", context), "text/html")
    return message


def weekly_report_send(*, report_id: int, now: datetime | None = None) -> datetime | None:
    """One attempt to mail a weekly report. Returns when to try again after a transient
    failure, else None (sent, failed for good, or not ours: sent, claimed, not due)."""
    now = now or timezone.now()
    claim = REPORTS.claim(
        report_id,
        now=now,
        queryset=WeeklyReport.objects.select_related("recipient", "recipient__profile"),
    )
    if claim is None:
        return None
    report = claim.row
    user = report.recipient
    profile = getattr(user, "profile", None)
    if not user.is_active or not user.email or (profile and not profile.weekly_report):
        REPORTS.fail(claim, "the recipient is inactive, has no address or turned reports off")
        return None
    try:
        _message(report, user).send()
    except Exception as exc:  # noqa: BLE001 — SMTP and backend errors vary; all are retried
        return REPORTS.retry(claim, f"{type(exc).__name__}: {exc}", now=now)
    REPORTS.succeed(claim, sent_at=timezone.now())
    return None
