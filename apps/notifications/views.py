from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from . import selectors, services

PAGE_SIZE = 50


@login_required
def inbox(request):
    """The signed-in user's notifications, newest first (SLA warnings and breaches …)."""
    page = Paginator(selectors.notifications_for(user=request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "notifications/inbox.html", {"page": page})


@login_required
@require_POST
def mark_read(request):
    """Mark every unread notification read, or the one named by `id`."""
    raw = request.POST.get("id", "")
    ids = [int(raw)] if raw.isdigit() else None
    services.notifications_mark_read(user=request.user, ids=ids)
    return redirect("notifications:inbox")
