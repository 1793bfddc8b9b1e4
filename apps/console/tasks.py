from celery import shared_task

from . import rollups


@shared_task
def build_rollups() -> dict[str, int]:
    """Beat: build the volume rollups' days that are missing or marked (a month of days a
    run; the rest next run). Idempotent; a second at once returns at once."""
    return rollups.rollups_build()
