from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin

from apps.core.admin import RevealHiddenAdmin

from .models import AgentProfile, Team

User = get_user_model()


@admin.register(Team)
class TeamAdmin(RevealHiddenAdmin, admin.ModelAdmin):
    list_display = ["name", "slug", "created_at"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    filter_horizontal = ["members"]


class AgentProfileInline(admin.StackedInline):
    model = AgentProfile
    can_delete = False


admin.site.unregister(User)


@admin.register(User)
class CxUserAdmin(UserAdmin):
    inlines = [AgentProfileInline]
    list_display = ["username", "email", "first_name", "last_name", "role", "is_active"]
    list_select_related = ["profile"]
    list_filter = ["profile__role", "is_active", "teams"]

    @admin.display(description="role", ordering="profile__role")
    def role(self, obj):
        profile = getattr(obj, "profile", None)
        return profile.get_role_display() if profile else "—"
