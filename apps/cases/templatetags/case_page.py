"""Filters of the case page: `{% load case_page %}`."""

import nh3
from django import template
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

# Images are left out of an email as shown: a remote one would tell the sender the agent
# read it (and our CSP refuses it anyway); inline ones (cid:) are listed as attachments.
EMAIL_TAGS = nh3.ALLOWED_TAGS - {"img", "map", "area"}


@register.filter
def email_html(body_html: str) -> SafeString:
    """An email's HTML body for the page. The body is sanitised when stored
    (services.sanitize_html, nh3); it is cleaned again here, without images, so what the
    page marks safe is nh3's output whatever wrote the row (an import, an old version)."""
    if not body_html:
        return mark_safe("")
    return mark_safe(nh3.clean(body_html, tags=EMAIL_TAGS, link_rel="noopener noreferrer"))


@register.filter
def seconds_duration(seconds: int | None) -> str:
    """A call's length: "4:05", "1:02:03"."""
    if not seconds:
        return ""
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


@register.filter
def web_url(value: str) -> bool:
    """Is `value` an http(s) address (a link we may put in an href)?"""
    return str(value or "").lower().startswith(("https://", "http://"))
