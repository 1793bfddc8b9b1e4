"""The SLA engine's subscription to the "case changed" seam (apps/cases/events.py)."""

from collections.abc import Sequence

from apps.cases.events import CaseChange

from . import services


def cases_changed(changes: Sequence[CaseChange]) -> None:
    """After commit: recompute the clocks of every case the announcement names."""
    services.cases_changed(change.case_id for change in changes)
