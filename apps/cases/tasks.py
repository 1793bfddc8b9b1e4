from celery import shared_task

from . import services

MAX_BATCHES_PER_RUN = 50


@shared_task(acks_late=True)
def close_solved_cases() -> int:
    """Periodic sweep: close cases solved longer ago than the auto-close delay. Idempotent."""
    closed = 0
    for _ in range(MAX_BATCHES_PER_RUN):
        batch = services.cases_close_solved()
        closed += batch
        if batch == 0:
            break
    return closed


@shared_task(acks_late=True)
def transition_case(case_id: int, to: str) -> None:
    """Move a case to a status from a background job (e.g. a rule). A no-op if it is there."""
    services.case_transition(case_id=case_id, to=to)
