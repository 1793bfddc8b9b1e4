"""Root-cause tasks: ids in, one service call. Losing one costs a delay: each training run
enqueues the open cases that have no suggestion of the newest model."""

from celery import shared_task
from django.conf import settings

from . import rollups, services


@shared_task(acks_late=True)
def suggest_case(case_id: int) -> int:
    """Store the case's top suggestions (idempotent); returns how many it has."""
    if not settings.CXDESK_ROOTCAUSE_SUGGESTIONS:
        return 0
    return len(services.case_suggest(case_id=case_id))


@shared_task(acks_late=True)
def train() -> int | None:
    """Beat: a new model from the tagged cases, then the sweep of unsuggested open cases;
    returns the new version (None: too few tagged cases)."""
    model = services.suggestion_model_train()
    if settings.CXDESK_ROOTCAUSE_SUGGESTIONS:
        services.cases_to_suggest()
    return model.version if model else None


@shared_task(acks_late=True)
def detect_spikes() -> int:
    """Beat: the spike test over every current root cause, today so far; returns how many
    root causes fired (safe to run twice, or on two workers: each spike is alerted once)."""
    return len(services.spikes_detect().firing)


@shared_task(acks_late=True)
def refresh_candidates() -> int:
    """Beat: cluster the cases no root cause explains into candidate new root causes;
    returns how many candidates are open (idempotent: the same cases, the same candidates)."""
    return services.candidates_refresh().open


@shared_task(acks_late=True)
def build_rollups() -> dict[str, int]:
    """Beat: build the root-cause rollups' days that are missing or marked (a month of days
    a run); the report reads the rest from the cases. Idempotent."""
    return rollups.rollups_build()
