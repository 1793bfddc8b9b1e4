"""Notification e-mail: fast paths over the outbox rows; the sweep sends what a lost task left."""

from celery import shared_task

from apps.core.outbox import enqueue_retry

from . import services


@shared_task(acks_late=True)
def email_notification(notification_id: int) -> None:
    retry_at = services.notification_email_send(notification_id=notification_id)
    enqueue_retry(email_notification.name, notification_id, retry_at)


@shared_task(acks_late=True)
def send_due_emails() -> int:
    return services.emails_sweep()
