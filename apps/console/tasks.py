from celery import shared_task

from apps.core.outbox import enqueue_retry

from . import rollups, services


@shared_task
def build_rollups() -> dict[str, int]:
    """Beat: build the volume rollups' days that are missing or marked (a month of days a
    run; the rest next run). Idempotent; a second at once returns at once."""
    return rollups.rollups_build()


@shared_task(acks_late=True)
def send_weekly_report(report_id: int) -> None:
    retry_at = services.weekly_report_send(report_id=report_id)
    enqueue_retry(send_weekly_report.name, report_id, retry_at)


@shared_task(acks_late=True)
def weekly_reports() -> int:
    """Beat, hourly: last week's report rows (once per supervisor) and the due sends."""
    return services.weekly_reports_sweep()
