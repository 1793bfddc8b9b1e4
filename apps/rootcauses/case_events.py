"""The suggestions' subscription to the "case changed" seam (apps/cases/events.py).

After commit, each case whose text the model reads may have changed — it was opened, its
subject changed, a customer message arrived or was edited, a merge moved messages in — is
enqueued once to `apps.rootcauses.tasks.suggest_case`. The task itself decides whether the
first customer message really changed (by digest): a later message is a no-op there.
"""

from collections.abc import Sequence

from django.conf import settings

from apps.cases.events import CaseChange
from apps.cases.models import Interaction
from apps.core.queue import enqueue_each

TEXT_FIELDS = {"subject", "interactions"}


def _text_may_have_changed(change: CaseChange) -> bool:
    return (
        change.created
        or bool(TEXT_FIELDS & set(change.fields))
        or change.interaction_updated is not None
        or (
            change.interaction is not None
            and change.interaction.direction == Interaction.Direction.INBOUND
            and change.interaction.is_public
        )
    )


def cases_changed(changes: Sequence[CaseChange]) -> None:
    if not settings.CXDESK_ROOTCAUSE_SUGGESTIONS:
        return
    ids = sorted({change.case_id for change in changes if _text_may_have_changed(change)})
    if ids:
        enqueue_each("apps.rootcauses.tasks.suggest_case", ids)
