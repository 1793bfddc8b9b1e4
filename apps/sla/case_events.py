"""The SLA engine's subscription to the "case changed" seam (apps/cases/events.py)."""

from collections.abc import Sequence

from apps.cases.events import CaseChange

from . import services


def cases_changed(changes: Sequence[CaseChange]) -> None:
    """After commit: recompute the clocks and metrics of every case the announcement names,
    and of the earlier cases a new case is a repeat contact of (their FCR)."""
    services.case_changes_recompute(changes)
