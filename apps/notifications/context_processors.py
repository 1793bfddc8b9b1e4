from django.http import HttpRequest

from . import selectors


def unread_notifications(request: HttpRequest) -> dict[str, int]:
    """`unread_notifications` in every page's context: the header shows the count."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"unread_notifications": selectors.unread_count(user=user)}
