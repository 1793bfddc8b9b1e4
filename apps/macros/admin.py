from django import forms
from django.contrib import admin

from apps.core.admin import RevealHiddenAdmin

from . import placeholders
from .models import Macro


class MacroAdminForm(forms.ModelForm):
    """Refuses a body naming a placeholder that does not exist, listing the ones that do
    (the composer would leave it visible and warn the agent each time)."""

    class Meta:
        model = Macro
        fields = [
            "title",
            "body",
            "kind",
            "is_active",
            "scope",
            "team",
            "owner",
            "set_status",
            "set_priority",
            "add_tags",
            "set_team",
            "assign",
        ]

    def clean_body(self) -> str:
        body = self.cleaned_data["body"]
        unknown = placeholders.unknown_in(body)
        if unknown:
            raise forms.ValidationError(
                f"Unknown placeholder{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}; "
                f"known: {', '.join('{' + name + '}' for name in placeholders.PLACEHOLDERS)}."
            )
        return body


@admin.register(Macro)
class MacroAdmin(RevealHiddenAdmin, admin.ModelAdmin):
    form = MacroAdminForm
    list_display = [
        "title",
        "scope",
        "team",
        "owner",
        "kind",
        "is_active",
        "usage_count",
        "last_used_at",
    ]
    list_filter = ["scope", "is_active", "kind", "team"]
    search_fields = ["title", "body"]
    list_select_related = ["team", "owner"]
    readonly_fields = ["usage_count", "last_used_at", "created_at"]
    raw_id_fields = ["owner"]
    fieldsets = [
        (None, {"fields": ["title", "body", "kind", "is_active"]}),
        ("Who sees it", {"fields": ["scope", "team", "owner"]}),
        (
            "Actions when sent (each optional)",
            {"fields": ["set_status", "set_priority", "add_tags", "set_team", "assign"]},
        ),
        ("Use", {"fields": ["usage_count", "last_used_at", "created_at"]}),
    ]
