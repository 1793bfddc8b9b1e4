"""What every endpoint an htmx page polls shares (the case page's presence, the header's
unread count)."""

from functools import wraps

from django.http import HttpResponse


def poll_401_when_signed_out(view):
    """A poll from a page whose session has ended answers 401 instead of the sign-in
    redirect: htmx follows a redirect and would swap the sign-in page into the polled
    element (base.html's responseHandling swaps no 4xx but 400/409/413), and the page —
    the composer's text with it — stays as it is until the agent reloads. A request that is
    not htmx's still goes to the sign-in page (the view's own login_required)."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.htmx and not request.user.is_authenticated:
            return HttpResponse("Signed out", status=401, content_type="text/plain")
        return view(request, *args, **kwargs)

    return wrapper
