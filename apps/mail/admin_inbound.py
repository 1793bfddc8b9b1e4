"""Admin for InboundEmail: the raw message log, failures and re-processing.

Read-only: a message changes only through the services. Failed messages are listed first
(their status in red, with the error's first line); "Re-process selected" runs processing
again for the failed (and never processed) ones; each message's raw bytes can be
downloaded as an .eml file.
"""

import email
from email import policy

from django.contrib import admin, messages
from django.db.models import Case as SqlCase
from django.db.models import IntegerField, Value, When
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from apps.core.admin import ReadOnlyAdminMixin, RevealHiddenAdmin
from apps.core.text import reveal_hidden

from . import parsing, selectors, services
from .models import InboundEmail

Status = InboundEmail.Status


@admin.register(InboundEmail)
class InboundEmailAdmin(ReadOnlyAdminMixin, RevealHiddenAdmin, admin.ModelAdmin):
    list_display = [
        "id",
        "received_at",
        "status_badge",
        "source",
        "provider",
        "mailbox",
        "short_message_id",
        "flags",
        "case_link",
        "error_excerpt",
    ]
    list_display_links = ["id", "received_at"]
    list_select_related = ["mailbox", "case"]
    list_filter = [
        "status",
        "source",
        "is_auto_reply",
        "is_bounce",
        "mailbox",
        "provider",
        "received_at",
    ]
    search_fields = ["message_id", "raw_sha256", "error"]
    date_hierarchy = "received_at"
    actions = ["reprocess_selected"]
    show_full_result_count = False
    list_per_page = 50
    admin_writes = frozenset({"change"})  # no add; no delete: nothing a customer sent is dropped
    fields = [
        "status",
        "error_block",
        "source",
        "provider",
        "mailbox",
        "received_at",
        "processed_at",
        "attempts",
        "message_id",
        "raw_sha256",
        "raw_size",
        "download_raw",
        "is_auto_reply",
        "is_bounce",
        "case_link",
        "interaction",
        "imap_uidvalidity",
        "imap_uid",
        "headers_table",
    ]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).defer("raw")  # never load raw bytes in a list

    def get_ordering(self, request):
        # Failed ones first, then the newest.
        failed_first = SqlCase(
            When(status=Status.FAILED, then=Value(0)), default=Value(1), output_field=IntegerField()
        )
        return [failed_first.asc(), "-received_at", "-id"]

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "show_save": False,
            "show_save_and_continue": False,
            "show_save_and_add_another": False,
        }
        return super().changeform_view(request, object_id, form_url, extra_context)

    def get_urls(self):
        return [
            path(
                "<int:pk>/raw/",
                self.admin_site.admin_view(self.download_raw_view),
                name="mail_inboundemail_raw",
            ),
            *super().get_urls(),
        ]

    def download_raw_view(self, request, pk):
        inbound = get_object_or_404(InboundEmail, pk=pk)
        if not self.has_view_permission(request, inbound):
            return HttpResponse(status=403)
        response = HttpResponse(bytes(inbound.raw), content_type="message/rfc822")
        response["Content-Disposition"] = f'attachment; filename="inbound-{inbound.pk}.eml"'
        return response

    @admin.action(
        description="Re-process selected (failed or unprocessed) messages", permissions=["change"]
    )
    def reprocess_selected(self, request, queryset):
        ids = list(queryset.values_list("pk", flat=True))
        eligible = selectors.inbound_emails_to_reprocess(ids=ids)
        counts = services.emails_reprocess(inbound_ids=eligible)
        skipped = len(ids) - len(eligible)
        summary = ", ".join(f"{n} {status}" for status, n in sorted(counts.items())) or "none"
        level = messages.WARNING if counts.get(Status.FAILED) else messages.SUCCESS
        self.message_user(
            request,
            f"Re-processed {len(eligible)} message(s): {summary}."
            + (f" {skipped} already processed or duplicate, left as they were." if skipped else ""),
            level,
        )

    @admin.display(description="status", ordering="status")
    def status_badge(self, obj):
        # Colours in static/cxdesk/admin.css: the CSP allows no inline style.
        return format_html(
            '<strong class="cx-inbound-status cx-inbound-{}">{}</strong>',
            obj.status,
            obj.get_status_display(),
        )

    @admin.display(description="Message-ID", ordering="message_id")
    def short_message_id(self, obj):
        value = obj.message_id or "—"
        return value if len(value) <= 48 else value[:45] + "…"

    @admin.display(description="flags")
    def flags(self, obj):
        return (
            ", ".join(
                f for f, on in (("auto-reply", obj.is_auto_reply), ("bounce", obj.is_bounce)) if on
            )
            or "—"
        )

    @admin.display(description="case", ordering="case")
    def case_link(self, obj):
        if obj.case_id is None:
            return "—"
        url = reverse("admin:cases_case_change", args=[obj.case_id])
        return format_html(
            '<a href="{}">{}</a>', url, obj.case.reference if obj.case else f"#{obj.case_id}"
        )

    @admin.display(description="error")
    def error_excerpt(self, obj):
        first = (obj.error or "").split("\n", 1)[0]
        return first if len(first) <= 120 else first[:117] + "…"

    @admin.display(description="error")
    def error_block(self, obj):
        if not obj.error:
            return "—"
        return format_html('<pre class="cx-admin-pre">{}</pre>', obj.error)

    @admin.display(description="raw size")
    def raw_size(self, obj):
        return f"{len(obj.raw or b'')} bytes"

    @admin.display(description="raw message")
    def download_raw(self, obj):
        if obj.pk is None:
            return "—"
        url = reverse("admin:mail_inboundemail_raw", args=[obj.pk])
        return format_html('<a href="{}">Download the raw message (.eml)</a>', url)

    @admin.display(description="headers")
    def headers_table(self, obj):
        headers = _headers_of(bytes(obj.raw or b""))
        if not headers:
            return "—"
        rows = format_html_join(
            "",
            "<tr><th>{}</th><td>{}</td></tr>",
            ((name, reveal_hidden(value)) for name, value in headers),
        )
        return format_html('<table class="cx-admin-headers">{}</table>', rows)


def _headers_of(raw: bytes, limit: int = 200) -> list[tuple[str, str]]:
    """The decoded header lines of a raw message, for reading in the admin (never raises)."""
    try:
        message = email.message_from_bytes(
            parsing.prepare_raw(raw[: 512 * 1024]), policy=policy.compat32
        )
        return [
            (name, parsing.decode_header_value(str(value))[:2000])
            for name, value in list(message.raw_items())[:limit]
        ]
    except Exception:  # noqa: BLE001
        return []
