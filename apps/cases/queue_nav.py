"""Next / previous case of the queue the agent came from (the case page's `]` and `[`).

The queue page remembers the ordered ids of the page it showed, with its address, in a
signed cookie (`remember`); the case page finds its case in that list (`neighbours`) and
renders plain <a rel="prev"> / <a rel="next"> links, which static/cxdesk/keys.js follows on
`[` / `]` — and which work without JavaScript. A cookie rather than the session: writing the
session on every queue page would cost the page a query beyond its budget (≤ 12,
tests/cases/test_queue_queries.py); the cookie costs none, is signed (a forged list is
ignored), and holds ids only. A case of the list the agent may no longer see is one 404
away, as any stale link; the page itself checks nothing more.
"""

import json
from typing import NamedTuple

from django.core import signing
from django.http import HttpRequest, HttpResponse

COOKIE = "cx_queue"
SALT = "cxdesk.queue-nav"
MAX_URL = 1000  # a queue address with every filter fits; beyond, "back to the queue" is "/"


class QueueNav(NamedTuple):
    previous_id: int | None
    next_id: int | None
    position: int  # 1-based, within the remembered page
    total: int
    queue_url: str


def remember(request: HttpRequest, response: HttpResponse, *, ids: list[int], url: str) -> None:
    value = json.dumps(
        {"u": url if len(url) <= MAX_URL else "/", "ids": ids}, separators=(",", ":")
    )
    response.set_signed_cookie(
        COOKIE,
        value,
        salt=SALT,
        httponly=True,
        samesite="Lax",
        secure=request.is_secure(),
    )


def neighbours(request: HttpRequest, case_id: int) -> QueueNav | None:
    try:
        raw = request.get_signed_cookie(COOKIE, default=None, salt=SALT)
        if raw is None:
            return None
        data = json.loads(raw)
        ids = [int(i) for i in data["ids"]]
        url = str(data["u"])
    except (KeyError, TypeError, ValueError, signing.BadSignature):
        return None
    if case_id not in ids or not url.startswith("/") or url.startswith("//"):
        return None
    i = ids.index(case_id)
    return QueueNav(
        previous_id=ids[i - 1] if i > 0 else None,
        next_id=ids[i + 1] if i + 1 < len(ids) else None,
        position=i + 1,
        total=len(ids),
        queue_url=url,
    )
