"""The case page's presence endpoint (collision detection; the rules are apps/cases/presence.py)."""

from functools import wraps

from django.http import HttpResponse
from django.template.loader import render_to_string

from . import presence
from .models import Case
from .views import case_view


def _unauthorised_poll(view):
    """A poll from a page whose session has ended answers 401, which htmx does not swap in:
    a redirect would put the sign-in page into the case header (and the composer's text
    stays where it is). A plain request still goes to the sign-in page (case_view)."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.htmx and not request.user.is_authenticated:
            return HttpResponse("Signed out", status=401, content_type="text/plain")
        return view(request, *args, **kwargs)

    return wrapper


@_unauthorised_poll
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
