"""Problems in the admin: to look at, read-only (the pages and the API go through the
services, which keep the rules and the audit trail)."""

from django.contrib import admin

from .models import Problem, ProblemAnswer, ProblemEvent


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class EventInline(admin.TabularInline):
    model = ProblemEvent
    fields = ["at", "kind", "actor", "before", "after"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ["-at", "-id"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Problem)
class ProblemAdmin(ReadOnly):
    list_display = ["id", "title", "status", "root_cause", "owner_team", "fix_date", "updated_at"]
    list_filter = ["status"]
    list_select_related = ["root_cause", "owner_team"]
    search_fields = ["title"]
    inlines = [EventInline]


@admin.register(ProblemAnswer)
class ProblemAnswerAdmin(ReadOnly):
    list_display = ["id", "problem", "case", "status", "attempts", "error", "finished_at"]
    list_filter = ["status"]
    list_select_related = ["problem", "case"]
    raw_id_fields = ["problem", "case", "interaction"]
