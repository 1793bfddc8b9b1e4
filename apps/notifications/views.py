from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.views.decorators.http import require_GET, require_POST, require_safe

from apps.core.polling import poll_401_when_signed_out

from . import selectors, services
from .models import Notification

PAGE_SIZE = 50


@login_required
@require_safe
def inbox(request):
    """The signed-in user's notifications, unread first (assignments, customer replies,
    mentions, SLA warnings and breaches)."""
    page = Paginator(selectors.notifications_for(user=request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "notifications/inbox.html", {"page": page})


def _own(request, notification_id) -> Notification:
    try:
        return selectors.notification_of(user=request.user, notification_id=notification_id)
    except (Notification.DoesNotExist, ValueError):
        raise Http404("No such notification") from None


@login_required
@require_POST
def mark_read(request):
    """Mark the notification named by `id` read (404 unless it is the user's), or, without
    an `id`, every unread one."""
    raw = request.POST.get("id", "").strip()
    ids = [_own(request, raw).pk] if raw else None
    services.notifications_mark_read(user=request.user, ids=ids)
    return redirect("notifications:inbox")


@login_required
@require_GET
def open_notification(request, notification_id: int):
    """Follow a notification: it is marked read and the user goes to its case (for one
    without a case: the page its `link` names, or back to the list). A link, not a form:
    marking read is harmless to repeat, and the list works without JavaScript."""
    notification = _own(request, notification_id)
    services.notifications_mark_read(user=request.user, ids=[notification.pk])
    if notification.case_id:
        return redirect("case-detail", notification.case_id)
    if link := services.safe_link(notification.link):
        return redirect(link)
    return redirect("notifications:inbox")


@poll_401_when_signed_out
@login_required
@require_safe
def unread_badge(request):
    """The header's unread count (templates/notifications/_badge.html), which every agent
    page polls every 30 s; rendered without context processors (one COUNT, no more)."""
    count = selectors.unread_count(user=request.user)
    return HttpResponse(
        render_to_string("notifications/_badge.html", {"unread_notifications": count})
    )
