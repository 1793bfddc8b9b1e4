"""Problems in the admin: to look at, read-only, with their history (the pages and the API
go through the services, which keep the rules and the audit trail; the answer-together
rows are shown on the problem's page)."""

from django.contrib import admin

from apps.core.admin import ReadOnlyAdminMixin, RevealHiddenAdmin

from .models import Problem, ProblemEvent


class EventInline(admin.TabularInline):
    model = ProblemEvent
    fields = ["at", "kind", "actor", "before", "after"]
    readonly_fields = ("at", "kind", "actor", "before", "after")
    extra = 0
    can_delete = False
    ordering = ["-at", "-id"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Problem)
class ProblemAdmin(ReadOnlyAdminMixin, RevealHiddenAdmin, admin.ModelAdmin):
    list_display = ["id", "title", "status", "root_cause", "owner_team", "fix_date", "updated_at"]
    list_filter = ["status"]
    list_select_related = ["root_cause", "owner_team"]
    search_fields = ["title"]
    inlines = [EventInline]
