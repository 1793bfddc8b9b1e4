"""Filters and tags of the case page: `{% load case_page %}`."""

import re
import secrets
from typing import NamedTuple
from urllib.parse import urlsplit

import nh3
from django import template
from django.core.cache import cache
from django.template.defaultfilters import linebreaksbr
from django.utils.safestring import SafeString, mark_safe

from apps.cases import quoting
from apps.core.text import reveal_hidden_html

register = template.Library()

# Inline images (cid:) are listed as attachments; image maps are dropped. Remote images
# (http/https) are kept with their address in data-src, which loads nothing, until the agent
# asks for that message's images: a remote image tells the sender the agent read it.
EMAIL_TAGS = (nh3.ALLOWED_TAGS - {"map", "area"}) | {"img"}
EMAIL_ATTRIBUTES = {
    **nh3.ALLOWED_ATTRIBUTES,
    "img": {"src", "data-src", "alt", "title", "width", "height"},
}
# A CSP host source for an image's origin: letters, digits, dots, dashes, a port.
_HOST = re.compile(r"^[a-z0-9](?:[a-z0-9.-]{0,251}[a-z0-9])?(?::[0-9]{1,5})?$")
MAX_IMAGE_ORIGINS = 20
FOLD_CACHE_SECONDS = 24 * 3600


class EmailHtml(NamedTuple):
    html: str  # nh3's output
    remote_images: int
    origins: list[str]  # "https://img.example.com" of each remote image (when shown)


def _clean(html: str) -> str:
    return nh3.clean(
        html, tags=EMAIL_TAGS, attributes=EMAIL_ATTRIBUTES, link_rel="noopener noreferrer"
    )


def email_html_parts(body_html: str, *, images: bool) -> EmailHtml:
    """An email's HTML for the page. The body is sanitised when stored (services.
    sanitize_html, nh3); it is cleaned again here, so what the page marks safe is nh3's
    output whatever wrote the row (an import, an old version). nh3 drops every src but
    http(s) before our filter sees it; a remote one becomes data-src unless `images`."""
    marker = f"cx-blocked-{secrets.token_hex(8)}:"  # unguessable: only our filter writes it
    origins: list[str] = []
    count = 0

    def attribute(element: str, name: str, value: str) -> str | None:
        nonlocal count
        if element != "img" or name != "src":
            return None if name == "data-src" else value  # data-src is ours alone
        count += 1
        if not images:
            return marker + value
        parts = urlsplit(value)
        origin = f"{parts.scheme}://{(parts.netloc.rsplit('@', 1)[-1]).lower()}"
        if _HOST.match(origin.split("://", 1)[1]) and origin not in origins:
            origins.append(origin)
        return value if origin in origins[:MAX_IMAGE_ORIGINS] else None

    html = nh3.clean(
        body_html,
        tags=EMAIL_TAGS,
        attributes=EMAIL_ATTRIBUTES,
        attribute_filter=attribute,
        link_rel="noopener noreferrer",
    )
    html = html.replace(f'src="{marker}', 'data-src="')
    return EmailHtml(html, count, origins[:MAX_IMAGE_ORIGINS])


@register.filter
def email_html(body_html: str) -> SafeString:
    """An email's HTML with remote images blocked (see email_html_parts)."""
    if not body_html:
        return mark_safe("")
    return mark_safe(email_html_parts(body_html, images=False).html)


def quote_fold(item) -> dict:
    """Where the interaction's quoted text starts: stored at ingest (`Interaction.quote_fold`,
    services._interaction_store), computed and cached for rows stored before."""
    stored = item.quote_fold
    if isinstance(stored, dict):
        return stored
    key = f"cxdesk:quote-fold:{item.pk}:{len(item.body_text)}:{len(item.body_html)}"
    found = cache.get(key)
    if found is None:
        found = quoting.fold_points(body_text=item.body_text, body_html=item.body_html)
        cache.set(key, found, FOLD_CACHE_SECONDS)
    return found


class EmailBody(NamedTuple):
    reply: SafeString
    quoted: SafeString  # "" when nothing is folded
    blocked_images: int  # remote images not loaded (0 once shown)
    shown_images: int


def _text(text: str) -> SafeString:
    return linebreaksbr(reveal_hidden_html(text), autoescape=True)


@register.simple_tag
def email_body(item, images_for: int | None = None) -> EmailBody:
    """An email interaction's body for the timeline: its own text, and its quoted history
    and signature apart (folded behind "Show quoted text"); its remote images blocked
    unless it is the message `images_for` (the page's ?images=<interaction id>)."""
    images = images_for is not None and images_for == item.pk
    fold = quote_fold(item)
    if item.body_html:
        parts = email_html_parts(item.body_html, images=images)
        blocked = 0 if images else parts.remote_images
        shown = parts.remote_images if images else 0
        split = quoting.split_html(parts.html, fold["html"]) if fold.get("html") else None
        if split:
            head, rest = split
            return EmailBody(mark_safe(_clean(head)), mark_safe(_clean(rest)), blocked, shown)
        return EmailBody(mark_safe(parts.html), mark_safe(""), blocked, shown)
    split = quoting.split_text(item.body_text, fold["text"]) if fold.get("text") else None
    if split:
        return EmailBody(_text(split[0].rstrip()), _text(split[1].strip("\n")), 0, 0)
    return EmailBody(_text(item.body_text), mark_safe(""), 0, 0)


def image_origins(item) -> list[str]:
    """The origins the page's CSP must allow to show this email's remote images."""
    if not item.body_html:
        return []
    return email_html_parts(item.body_html, images=True).origins


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
