"""Admin for the social channel: accounts (tokens write-only) and the inbound event log."""

import json

from django import forms
from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html

from apps.core.admin import ReadOnlyAdminMixin, RevealHiddenAdmin

from . import services
from .models import SocialAccount, SocialEvent


class SocialAccountForm(forms.ModelForm):
    """The access token can be set or replaced, never read back."""

    access_token = forms.CharField(
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text="Used to send replies; stored encrypted. Leave empty to keep the current one.",
    )
    clear_access_token = forms.BooleanField(required=False, label="Remove the access token")

    class Meta:
        model = SocialAccount
        fields = ["network", "external_id", "name", "team", "is_active", "access_token"]

    def clean_external_id(self):
        return (self.cleaned_data.get("external_id") or "").strip()

    def save(self, commit=True):
        account = super().save(commit=False)
        new_token = self.cleaned_data.get("access_token")
        if self.cleaned_data.get("clear_access_token"):
            account.access_token = ""
        elif not new_token and self.instance.pk:
            # An empty field keeps the stored token: read it from the database, not the form.
            account.access_token = (
                SocialAccount.objects.only("access_token").get(pk=self.instance.pk).access_token
            )
        if commit:
            account.save()
            self.save_m2m()
        return account


@admin.register(SocialAccount)
class SocialAccountAdmin(admin.ModelAdmin):
    form = SocialAccountForm
    list_display = ["name", "network", "external_id", "team", "is_active", "has_token"]
    list_select_related = ["team"]
    list_filter = ["network", "is_active"]
    search_fields = ["name", "external_id"]
    readonly_fields = ["token_status", "created_at", "updated_at"]
    fields = [
        "network",
        "external_id",
        "name",
        "team",
        "is_active",
        "token_status",
        "access_token",
        "clear_access_token",
        "created_at",
        "updated_at",
    ]

    @admin.display(boolean=True, description="token")
    def has_token(self, obj):
        return bool(obj.access_token)

    @admin.display(description="access token")
    def token_status(self, obj):
        return "set (hidden)" if obj and obj.access_token else "not set"


@admin.register(SocialEvent)
class SocialEventAdmin(ReadOnlyAdminMixin, RevealHiddenAdmin, admin.ModelAdmin):
    """The inbound log: read-only; "re-process" is the one thing to do here."""

    list_display = [
        "received_at",
        "network",
        "kind",
        "external_id",
        "account",
        "status",
        "attempts",
        "case_link",
    ]
    list_select_related = ["account", "case"]
    list_filter = ["status", "network", "kind"]
    search_fields = ["external_id", "account_external_id"]
    fields = [
        "network",
        "kind",
        "account_external_id",
        "account",
        "external_id",
        "status",
        "error",
        "attempts",
        "received_at",
        "processed_at",
        "case_link",
        "interaction",
        "payload_json",
    ]
    readonly_fields = fields
    actions = ["reprocess"]
    show_full_result_count = False

    def has_reprocess_permission(self, request):
        return request.user.has_perm("social.change_socialevent")

    @admin.display(description="case")
    def case_link(self, obj):
        if not obj.case_id:
            return "—"
        url = reverse("admin:cases_case_change", args=[obj.case_id])
        return format_html('<a href="{}">#{}</a>', url, obj.case_id)

    @admin.display(description="payload")
    def payload_json(self, obj):
        return format_html(
            "<pre>{}</pre>", json.dumps(obj.payload, indent=2, sort_keys=True, ensure_ascii=False)
        )

    @admin.action(
        description="Re-process the selected failed or ignored events", permissions=["reprocess"]
    )
    def reprocess(self, request, queryset):
        outcomes: dict[str, int] = {}
        for pk in queryset.filter(
            status__in=[SocialEvent.Status.FAILED, SocialEvent.Status.IGNORED]
        ).values_list("pk", flat=True):
            event = services.event_reprocess(event_id=pk)
            outcomes[event.status] = outcomes.get(event.status, 0) + 1
        if not outcomes:
            self.message_user(
                request, "Nothing to re-process: select failed or ignored events.", messages.WARNING
            )
            return
        summary = ", ".join(f"{count} {status}" for status, count in sorted(outcomes.items()))
        self.message_user(
            request,
            f"Re-processed: {summary}.",
            messages.SUCCESS if "failed" not in outcomes else messages.WARNING,
        )
