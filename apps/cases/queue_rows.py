"""What each row of the queue page shows, formatted in one pass over the page's cases.

A page is 50 rows of ten cells. Rendered by a template included per row, with filters per
cell (`|reveal`, `|when`, `get_…_display`, `{% url %}`), the rows cost more than the rest
of the page and its queries together. Here each row's values are computed once, in Python,
with what every row shares read once per page — the moment, the case URL, the channel
icons — and templates/cases/queue.html only writes them out (escaping what is plain text,
as before). What a row shows is the same: tests/cases/test_queue_rows.py.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.urls import reverse
from django.utils.safestring import SafeString

from apps.core import times
from apps.core.text import reveal_hidden_html

from .models import Case

CHANNEL_ICONS = {"email": "✉", "chat": "❝", "phone": "☎", "social": "#", "web": "⌂"}
OTHER_CHANNEL_ICON = "⚙"
_ID_MARK = 987654321  # stands for the case id in the one reversed case URL


@dataclass(frozen=True, slots=True)
class QueueRow:
    pk: int
    reference: str
    url: str
    priority: str
    priority_label: str
    subject: SafeString  # customer text, revealed (apps/core/text.py) and escaped
    tags: list[SafeString]
    requester: SafeString
    channel: str
    channel_label: str
    channel_icon: str
    status: str
    status_label: str
    assignee: SafeString | None  # None: unassigned
    due_state: str  # "breached", "soon" or "" (the time-left badge's class)
    due: SafeString | None  # the <time> of the next SLA due time, None without one
    updated: SafeString


def queue_rows(cases: Iterable[Case], *, now: datetime) -> list[QueueRow]:
    """The rows of `cases` (with their requester, assignee and tags loaded, as
    queues.view_cases reads them), times relative to `now`."""
    clock = times.Clock(now)
    url = reverse("case-detail", args=[_ID_MARK])
    mark = str(_ID_MARK)
    channels = dict(Case._meta.get_field("channel").flatchoices)
    statuses = dict(Case.Status.choices)
    priorities = dict(Case.Priority.choices)
    rows = []
    for case in cases:
        assignee = case.assignee
        due, updated = case.next_breach_at, case.updated_at
        rows.append(
            QueueRow(
                pk=case.pk,
                reference=case.reference,
                url=url.replace(mark, str(case.pk)),
                priority=case.priority,
                priority_label=str(priorities.get(case.priority, case.priority)),
                subject=reveal_hidden_html(case.subject),
                tags=[reveal_hidden_html(str(tag)) for tag in case.tags.all()],
                requester=reveal_hidden_html(str(case.requester)),
                channel=case.channel,
                channel_label=str(channels.get(case.channel, case.channel)),
                channel_icon=CHANNEL_ICONS.get(case.channel, OTHER_CHANNEL_ICON),
                status=case.status,
                status_label=str(statuses.get(case.status, case.status)),
                assignee=(
                    reveal_hidden_html(assignee.get_full_name() or assignee.get_username())
                    if assignee is not None
                    else None
                ),
                due_state=times.breach_state(due, now) if due else "",
                due=clock.element(due, "due") if due else None,
                updated=clock.element(updated) if updated else SafeString(""),
            )
        )
    return rows
