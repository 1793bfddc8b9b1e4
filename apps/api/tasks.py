from celery import shared_task

from . import services


@shared_task(acks_late=True)
def purge_idempotency_keys() -> int:
    """Hourly: forget Idempotency-Key records older than a day."""
    return services.idempotency_records_purge()
