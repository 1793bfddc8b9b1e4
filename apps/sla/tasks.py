"""SLA tasks: fast paths over the clocks. Losing one costs a delay: the sweep repairs it.

`recompute_case` is idempotent (a replay of the history); `sweep` (beat, every
CXDESK_SLA_SWEEP_SECONDS) recomputes the cases whose task was lost, marks breaches and fires
each warning and breach once; `finalise_fcr` (beat, hourly) makes final the first-contact
resolution of the cases whose FCR window has passed; `build_rollups` (beat, every
CXDESK_SLA_ROLLUP_SECONDS) builds the summary's daily rollups (apps/sla/rollups.py).
"""

from celery import shared_task
from django.conf import settings

from . import rollups, services


@shared_task(acks_late=True)
def recompute_case(case_id: int) -> int:
    """Replay one case's history into its clocks; returns how many clocks it has."""
    return len(services.case_sla_recompute(case_id=case_id))


@shared_task(acks_late=True)
def recompute_opened_case(case_id: int) -> int:
    """A new case: its clocks, and the FCR of its requester's recently solved cases."""
    return services.case_opened_recompute(case_id=case_id)


@shared_task(acks_late=True)
def sweep() -> dict[str, int]:
    if not settings.CXDESK_SLA_ENABLED:
        return {}
    return services.sla_sweep()


@shared_task(acks_late=True)
def finalise_fcr() -> int:
    """Recompute the cases whose provisional FCR is due to become final; returns how many."""
    if not settings.CXDESK_SLA_ENABLED:
        return 0
    return services.fcr_finalise()


@shared_task(acks_late=True)
def build_rollups() -> dict[str, int]:
    """Build the SLA summary's daily rollups that are missing or marked (a few weeks of days
    a run); the summary reads the rest from the rows."""
    if not settings.CXDESK_SLA_ENABLED:
        return {}
    return rollups.rollups_build()


# A worker's autodiscovery imports tasks.py only: this registers the what-if's task there too.
from . import tasks_whatif  # noqa: E402, F401
