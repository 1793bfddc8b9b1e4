"""Celery tasks of the problems app: an id in, one service call (idempotent)."""

from celery import shared_task

from . import services


@shared_task(acks_late=True)
def answer_together(problem_id: int) -> dict[str, int]:
    """Answer the problem's waiting cases; a rerun answers nothing twice."""
    return services.answer_together_run(problem_id=problem_id)


@shared_task
def sweep_answers() -> int:
    """Beat: resume answer runs whose task was lost or whose worker died."""
    return services.answers_sweep()
