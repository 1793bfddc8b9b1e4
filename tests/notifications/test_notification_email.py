"""SLA notifications are e-mailed to the supervisors too, through an outbox: after commit,
retried after a transient failure, swept when the task was lost."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail

from apps.notifications import services
from apps.notifications.models import Notification
from apps.sla import services as sla_services
from tests.factories import CaseFactory, SlaPolicyFactory, SupervisorFactory, TeamFactory

pytestmark = pytest.mark.django_db

MONDAY_9AM = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def test_a_breach_mails_each_supervisor_of_the_team_once(django_capture_on_commit_callbacks):
    team = TeamFactory()
    supervisor = SupervisorFactory(teams=[team], email="sam@cxdesk.test")
    SupervisorFactory(teams=[team], email="")  # no address: in-app only
    SlaPolicyFactory(targets={("normal", "first_response"): 60})
    case = CaseFactory(team=team, created_at=MONDAY_9AM)
    sla_services.case_sla_recompute(case_id=case.pk, now=MONDAY_9AM)

    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            sla_services.sla_sweep(now=MONDAY_9AM + timedelta(hours=1))

    [message] = mail.outbox
    assert message.to == ["sam@cxdesk.test"]
    assert case.reference in message.subject
    assert f"/cases/{case.pk}/" in message.body
    sent = Notification.objects.get(recipient=supervisor)
    assert (sent.email_status, sent.email_attempts) == ("sent", 1)
    assert Notification.objects.filter(email_status="").count() == 1


def test_a_mail_server_failure_is_retried_then_sent(
    monkeypatch, django_capture_on_commit_callbacks
):
    [notice] = services.notify_many(
        [(SupervisorFactory(email="sam@cxdesk.test"), "sla_breached", None, "CX-1 breached")],
        email=True,
    )

    def refuse(*args, **kwargs):
        raise ConnectionRefusedError("smtp down")

    monkeypatch.setattr(services, "send_mail", refuse)
    retry_at = services.notification_email_send(notification_id=notice.pk)
    notice.refresh_from_db()
    assert notice.email_status == "pending"
    assert "smtp down" in notice.email_error
    assert retry_at is not None

    monkeypatch.undo()
    assert services.notification_email_send(notification_id=notice.pk, now=retry_at) is None
    notice.refresh_from_db()
    assert notice.email_status == "sent"
    assert len(mail.outbox) == 1


def test_the_sweep_mails_what_a_lost_task_left(monkeypatch):
    sent: list[list[int]] = []
    monkeypatch.setattr(services, "enqueue_each", lambda name, ids: sent.append(list(ids)))
    [notice] = services.notify_many(
        [(SupervisorFactory(email="sam@cxdesk.test"), "sla_warning", None, "due soon")],
        email=True,
    )

    services.emails_sweep()

    assert sent == [[notice.pk]]
