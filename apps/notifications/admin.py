from django.contrib import admin

from apps.core.admin import ReadOnlyAdminMixin, RevealHiddenAdmin

from .models import Notification


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdminMixin, RevealHiddenAdmin, admin.ModelAdmin):
    list_display = ["recipient", "kind", "case", "text", "created_at", "read_at"]
    list_filter = ["kind"]
    list_select_related = ["recipient", "case"]
