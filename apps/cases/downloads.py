"""Serving attachments: the one place a stored file becomes an HTTP response.

An attachment is whatever a customer (or anyone who can mail the support address) sent, so
the browser must never treat it as one of our pages: an HTML file with a script served from
our origin would run with an agent's session (stored XSS). Every download therefore is

- `Content-Type: application/octet-stream` — never the sender's declared type;
- `Content-Disposition: attachment; filename=…` — saved, not shown (the original name,
  RFC 5987-encoded by Django when it is not plain ASCII; control and bidi/format characters
  removed, so "‮gnp.exe" cannot pose as "exe.png");
- `X-Content-Type-Options: nosniff` — no content sniffing back into HTML;
- `Content-Security-Policy: default-src 'none'; sandbox` — even if a browser rendered it,
  it would have no script, no same-origin access and no subresources;
- `Cache-Control: private` — shared caches keep no copy of a customer's file;
- `Cross-Origin-Resource-Policy: same-origin` — other sites cannot embed it.

Who may download is decided before this (`selectors.attachment_for_download`: the case must
be visible to the user); the web view (`views.attachment_download`) and the API
(`api.CaseInteractionViewSet.download`) both end here. Nothing under MEDIA_URL is served.
"""

import logging
import unicodedata

from django.http import FileResponse

from .models import Attachment

logger = logging.getLogger(__name__)

DOWNLOAD_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; sandbox",
    "Cache-Control": "private",
    "Cross-Origin-Resource-Policy": "same-origin",
}


class AttachmentMissing(Exception):
    """The attachment's row exists but its file is not in storage (deleted, or storage lost)."""

    def __init__(self, attachment: Attachment):
        self.attachment = attachment
        super().__init__(
            f"the file of attachment {attachment.pk} ({attachment.filename!r}) is "
            "missing from storage"
        )


def download_filename(name: str) -> str:
    """The name a browser saves the file as: the original one, without control or format
    characters (bidi overrides, zero-width characters), never empty."""
    cleaned = "".join(c for c in name if unicodedata.category(c) not in ("Cc", "Cf")).strip()
    return cleaned or "attachment"


def attachment_response(attachment: Attachment) -> FileResponse:
    """Stream the attachment's file as a download; raises AttachmentMissing without one."""
    if not attachment.file.name:
        raise AttachmentMissing(attachment)
    try:
        handle = attachment.file.storage.open(attachment.file.name, "rb")
    except FileNotFoundError:
        logger.warning(
            "attachment %s: file %r is missing from storage", attachment.pk, attachment.file.name
        )
        raise AttachmentMissing(attachment) from None
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=download_filename(attachment.filename),
        content_type="application/octet-stream",
    )
    for header, value in DOWNLOAD_HEADERS.items():
        response[header] = value
    return response
