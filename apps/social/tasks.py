from celery import shared_task

from . import services


@shared_task(acks_late=True)
def process_stale_events() -> int:
    """Beat sweep: process social events a crashed request left received. Idempotent."""
    return services.events_process_stale()
