"""The case page's presence endpoint (collision detection; the rules are apps/cases/presence.py)."""

from django.http import HttpResponse
from django.template.loader import render_to_string

from apps.core.polling import poll_401_when_signed_out

from . import presence
from .models import Case
from .views import case_view


@poll_401_when_signed_out
@case_view("POST")
def case_presence(request, case: Case):
    """Record the agent on the case (`typing=1`: typing in the composer) and answer the
    other agents present. Rendered without the context processors: it runs every few
    seconds on every open case page, and needs none of them."""
    others = presence.presence_touch(
        case_id=case.pk, user=request.user, typing=request.POST.get("typing") == "1"
    )
    html = render_to_string("cases/case/presence_list.html", {"present": others})
    return HttpResponse(html)
