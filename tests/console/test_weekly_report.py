"""The weekly report: once per supervisor and week however often beat runs, never twice
when a send is retried, HTML and text with the week's figures beside the week before,
opt-out on the settings page; the week is Monday to Monday of TIME_ZONE."""

from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from apps.console import services
from apps.console.models import WeeklyReport
from tests.factories import AgentFactory, CaseFactory, SupervisorFactory

pytestmark = pytest.mark.django_db

# Wednesday 2 December 2026, 10:00 in London (TIME_ZONE): last week is 23–30 November.
NOW = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)


@pytest.fixture
def week(settings, team, supervisor):
    settings.TIME_ZONE = "Europe/London"
    with time_machine.travel(NOW, tick=False):
        for day in (1, 2, 2):
            CaseFactory(team=team, created_at=datetime(2026, 11, 23 + day, 9, tzinfo=UTC))
        CaseFactory(team=team, created_at=datetime(2026, 11, 18, 9, tzinfo=UTC))  # week before
        yield


def test_last_week_is_monday_to_monday_of_time_zone(settings):
    settings.TIME_ZONE = "America/New_York"
    start, end = services.last_week(datetime(2026, 11, 2, 12, 0, tzinfo=UTC))  # Mon 07:00 NY
    # The Monday after the clock change (1 Nov): the week is 169 hours long.
    assert (start.isoformat(), end.isoformat()) == (
        "2026-10-26T00:00:00-04:00",
        "2026-11-02T00:00:00-05:00",
    )
    assert end.astimezone(UTC) - start.astimezone(UTC) == timedelta(hours=169)


def test_one_report_per_supervisor_and_week_however_often_beat_runs(
    week, supervisor, agent, django_capture_on_commit_callbacks
):
    SupervisorFactory(username="quiet", email="")  # no address: not queued
    with time_machine.travel(NOW, tick=False):
        assert services.weekly_reports_queue() == 1
        assert services.weekly_reports_queue() == 0
    assert WeeklyReport.objects.get().recipient == supervisor
    assert not WeeklyReport.objects.filter(recipient=agent).exists()


def test_the_message_holds_the_weeks_figures_beside_the_week_before(week, supervisor):
    with time_machine.travel(NOW, tick=False):
        services.weekly_reports_queue()
        report = WeeklyReport.objects.get()
        assert services.weekly_report_send(report_id=report.pk) is None
    (message,) = mail.outbox
    assert message.to == [supervisor.email]
    assert "3 cases, week of 23 Nov 2026" in message.subject
    assert "Cases opened: 3 (before: 1, +200.0%)" in message.body
    html, kind = message.alternatives[0]
    assert kind == "text/html"
    assert "<strong>3</strong>" in html
    assert "/accounts/settings/" in message.body
    report.refresh_from_db()
    assert report.status == "sent"
    assert report.sent_at == NOW


def test_a_retried_send_sends_nothing_twice(week, supervisor):
    with time_machine.travel(NOW, tick=False):
        services.weekly_reports_queue()
        report = WeeklyReport.objects.get()
        services.weekly_report_send(report_id=report.pk)
        services.weekly_report_send(report_id=report.pk)
        services.weekly_reports_sweep()
    assert len(mail.outbox) == 1


def test_a_mail_error_is_retried_later(week, supervisor):
    with time_machine.travel(NOW, tick=False):
        services.weekly_reports_queue()
        report = WeeklyReport.objects.get()
        with mock.patch(
            "django.core.mail.EmailMultiAlternatives.send", side_effect=OSError("refused")
        ):
            retry_at = services.weekly_report_send(report_id=report.pk)
    assert retry_at is not None
    assert retry_at > NOW
    report.refresh_from_db()
    assert (report.status, report.attempts) == ("pending", 1)
    assert "refused" in report.error
    with time_machine.travel(retry_at + timedelta(seconds=1), tick=False):
        services.weekly_report_send(report_id=report.pk)
    assert len(mail.outbox) == 1


def test_opting_out_on_the_settings_page_stops_them(week, client, supervisor):
    client.force_login(supervisor)
    page = client.get(reverse("account-settings")).content.decode()
    assert 'name="weekly_report" checked' in page
    response = client.post(reverse("account-weekly-report"), {})
    assert response.status_code == 302
    supervisor.profile.refresh_from_db()
    assert supervisor.profile.weekly_report is False
    with time_machine.travel(NOW, tick=False):
        assert services.weekly_reports_queue() == 0
    client.post(reverse("account-weekly-report"), {"weekly_report": "on"})
    supervisor.profile.refresh_from_db()
    assert supervisor.profile.weekly_report is True


def test_a_report_queued_before_opting_out_is_not_sent(week, supervisor):
    with time_machine.travel(NOW, tick=False):
        services.weekly_reports_queue()
        supervisor.profile.weekly_report = False
        supervisor.profile.save()
        services.weekly_report_send(report_id=WeeklyReport.objects.get().pk)
    assert mail.outbox == []
    assert WeeklyReport.objects.get().status == "failed"


def test_agents_see_no_weekly_report_setting(client, team):
    client.force_login(AgentFactory(teams=[team]))
    assert "weekly_report" not in client.get(reverse("account-settings")).content.decode()
