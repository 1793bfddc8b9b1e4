"""Admin for chat widgets (configuration) and chat sessions (read-only: services write them)."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from apps.core.admin import ReadOnlyAdminMixin, RevealHiddenAdmin

from .models import ChatSession, ChatWidget


@admin.register(ChatWidget)
class ChatWidgetAdmin(admin.ModelAdmin):
    list_display = ["name", "team", "is_active", "public_key", "demo_page", "created_at"]
    list_filter = ["is_active", "team"]
    search_fields = ["name", "public_key"]
    readonly_fields = ["public_key", "embed", "created_at", "updated_at"]
    fields = [
        "name",
        "team",
        "allowed_origins",
        "is_active",
        "public_key",
        "embed",
        "created_at",
        "updated_at",
    ]

    @admin.display(description="Demo page")
    def demo_page(self, widget: ChatWidget) -> str:
        """Where to chat as a customer would, from the list too (opens in a new tab)."""
        return format_html(
            '<a href="{}" target="_blank" rel="noopener">Try it</a>',
            reverse("chat:demo", args=[widget.public_key]),
        )

    @admin.display(description="Embed")
    def embed(self, widget: ChatWidget) -> str:
        if not widget.pk:
            return "Save the widget to get its snippet."
        return format_html(
            '<code>&lt;script src="https://&lt;your cxdesk&gt;/static/chat/widget.js" '
            'data-widget-key="{}" async&gt;&lt;/script&gt;</code><br>'
            '<a href="{}" target="_blank" rel="noopener">Try it on the demo page</a>',
            widget.public_key,
            reverse("chat:demo", args=[widget.public_key]),
        )


@admin.register(ChatSession)
class ChatSessionAdmin(ReadOnlyAdminMixin, RevealHiddenAdmin, admin.ModelAdmin):
    list_display = [
        "id",
        "widget",
        "case",
        "contact",
        "status",
        "answered",
        "ended_by",
        "started_at",
        "ended_at",
        "last_customer_activity",
        "claimed_email",
        "claim_verified_via",
    ]
    list_filter = ["status", "answered", "ended_by", "claim_verified_via", "widget"]
    search_fields = ["claimed_email"]
    list_select_related = ["widget", "case", "contact"]
    date_hierarchy = "started_at"
    raw_id_fields = ["case", "contact"]
