import json
import uuid

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.html import format_html

from apps.core.admin import ReadOnlyAdminMixin, RevealHiddenAdmin

from . import services
from .models import EventType, WebhookDelivery, WebhookSubscription


class WebhookSubscriptionForm(forms.ModelForm):
    """Events as checkboxes; URL and events checked by the same rules as the services."""

    events = forms.MultipleChoiceField(
        choices=EventType.choices, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = WebhookSubscription
        fields = ["name", "url", "events", "owner", "is_active"]

    def clean(self):
        cleaned = super().clean()
        if "url" in cleaned and "events" in cleaned:
            try:
                cleaned["url"], cleaned["events"] = services.subscription_validate(
                    url=cleaned["url"], events=cleaned["events"]
                )
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    self.add_error(field, errors)
        return cleaned


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(admin.ModelAdmin):
    form = WebhookSubscriptionForm
    list_display = ["__str__", "url", "event_list", "owner", "is_active", "created_at"]
    list_select_related = ["owner"]
    list_filter = ["is_active"]
    search_fields = ["name", "url"]
    readonly_fields = ["secret", "created_at", "updated_at"]
    autocomplete_fields = ["owner"]
    actions = ["rotate_secret"]
    show_full_result_count = False

    @admin.display(description="events")
    def event_list(self, obj):
        return ", ".join(obj.events or [])

    @admin.action(
        description="Rotate the signing secret of the selected subscriptions",
        permissions=["change"],
    )
    def rotate_secret(self, request, queryset):
        for pk in queryset.values_list("pk", flat=True):
            services.subscription_rotate_secret(subscription_id=pk)
        self.message_user(request, "New secrets made; give them to the receivers.")


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdminMixin, RevealHiddenAdmin, admin.ModelAdmin):
    """The delivery log: read-only; "retry now" is the one thing to do here."""

    list_display = [
        "created_at",
        "subscription",
        "event",
        "status",
        "attempts",
        "last_status_code",
        "next_attempt_at",
    ]
    list_select_related = ["subscription"]
    list_filter = ["status", "event", "subscription"]
    search_fields = ["event_id"]  # an event id or delivery id, see get_search_results
    fields = [
        "subscription",
        "event",
        "event_id",
        "status",
        "attempts",
        "created_at",
        "next_attempt_at",
        "claimed_at",
        "delivered_at",
        "last_status_code",
        "last_error",
        "response_excerpt",
        "payload_json",
    ]
    readonly_fields = fields
    actions = ["retry_now"]
    show_full_result_count = False

    def get_queryset(self, request):
        # A page lists 100 rows: leave their (possibly large) bodies in the database.
        return super().get_queryset(request).defer("payload", "response_excerpt", "last_error")

    def get_search_results(self, request, queryset, search_term):
        """Exact matches only: the Cxdesk-Event-Id or Cxdesk-Delivery a receiver reports."""
        term = search_term.strip()
        if not term:
            return queryset, False
        if term.isdigit():
            return queryset.filter(pk=int(term)), False
        try:
            return queryset.filter(event_id=uuid.UUID(term)), False
        except ValueError:
            return queryset.none(), False

    @admin.display(description="payload")
    def payload_json(self, obj):
        return format_html("<pre>{}</pre>", json.dumps(obj.payload, indent=2, sort_keys=True))

    @admin.action(description="Retry now (pending or failed: one more try)")
    def retry_now(self, request, queryset):
        count = services.deliveries_retry_now(delivery_ids=queryset.values_list("pk", flat=True))
        self.message_user(
            request,
            f"{count} deliveries queued (delivered ones and those being sent are left alone).",
            messages.SUCCESS,
        )
