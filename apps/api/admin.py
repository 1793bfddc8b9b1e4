from django import forms
from django.contrib import admin, messages
from django.utils import timezone

from apps.core.admin import ReadOnlyAdminMixin

from . import services
from .models import ApiToken


class ApiTokenCreateForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(
        choices=ApiToken.Scope.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text="A write scope includes reading the same resource: cases:write may also "
        "read cases (not contacts). The token acts as its owner: it sees and routes "
        "only what the owner may.",
    )

    class Meta:
        model = ApiToken
        fields = ["name", "owner", "scopes"]


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Tokens are created here; the key is shown once, in the confirmation message."""

    # No delete: revoke instead, so the audit of what a token did keeps its name.
    admin_writes = frozenset({"add", "change"})

    list_display = [
        "name",
        "owner",
        "masked_key",
        "scope_list",
        "created_at",
        "last_used_at",
        "revoked_at",
    ]
    list_select_related = ["owner"]
    list_filter = ["revoked_at"]
    search_fields = ["name", "prefix", "owner__username"]
    actions = ["revoke"]
    raw_id_fields = ["owner"]

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = ApiTokenCreateForm
        return super().get_form(request, obj, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["name", "owner", "scopes"]
        return [
            "name",
            "owner",
            "masked_key",
            "scope_list",
            "created_at",
            "last_used_at",
            "revoked_at",
        ]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return ["owner", "masked_key", "scope_list", "created_at", "last_used_at", "revoked_at"]

    def save_model(self, request, obj, form, change):
        if change:
            obj.save(update_fields=["name"])
            return
        token, key = services.api_token_create(
            owner=form.cleaned_data["owner"],
            name=form.cleaned_data["name"],
            scopes=form.cleaned_data["scopes"],
        )
        obj.pk = token.pk
        obj.refresh_from_db()
        messages.warning(request, f"Token created. Copy the key now; it is not shown again: {key}")

    @admin.action(description="Revoke the selected tokens")
    def revoke(self, request, queryset):
        count = queryset.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
        self.message_user(request, f"Revoked {count} token(s).")

    @admin.display(description="key")
    def masked_key(self, obj):
        return f"cxd_{obj.prefix}_…"

    @admin.display(description="scopes")
    def scope_list(self, obj):
        return ", ".join(obj.scopes)
