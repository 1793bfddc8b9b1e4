from django.contrib import admin

from apps.core.admin import ReadOnlyAdminMixin, RevealHiddenAdmin

from .models import Call


@admin.register(Call)
class CallAdmin(ReadOnlyAdminMixin, RevealHiddenAdmin, admin.ModelAdmin):
    """Read-only: calls change through apps.phone.services (the case's audit trail with them)."""

    list_display = [
        "sid",
        "direction",
        "from_number",
        "to_number",
        "status",
        "started_at",
        "duration_seconds",
        "disposition",
        "agent",
        "case",
        "contact",
        "provider",
    ]
    list_select_related = ["agent", "case", "contact"]
    list_filter = ["direction", "status", "disposition", "provider", "started_at"]
    search_fields = ["sid", "from_number", "to_number"]
    date_hierarchy = "started_at"
    readonly_fields = [f.name for f in Call._meta.concrete_fields]
    raw_id_fields = ["agent", "case", "interaction", "contact"]
    show_full_result_count = False
