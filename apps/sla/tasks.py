"""SLA tasks: fast paths over the clocks. Losing one costs a delay: the sweep repairs it.

`recompute_case` is idempotent (a replay of the history); `sweep` (beat, every
CXDESK_SLA_SWEEP_SECONDS) recomputes the cases whose task was lost, marks breaches and fires
each warning and breach once.
"""

from celery import shared_task
from django.conf import settings

from . import services


@shared_task(acks_late=True)
def recompute_case(case_id: int) -> int:
    """Replay one case's history into its clocks; returns how many clocks it has."""
    return len(services.case_sla_recompute(case_id=case_id))


@shared_task(acks_late=True)
def sweep() -> dict[str, int]:
    if not settings.CXDESK_SLA_ENABLED:
        return {}
    return services.sla_sweep()


# A worker's autodiscovery imports tasks.py only: this registers the what-if's task there too.
from . import tasks_whatif  # noqa: E402, F401
