"""SLA configuration in the admin; clocks and their events are shown, never edited.

Saving a calendar or a policy checks it as the API does (a bad definition is a form error)
and marks open cases for recompute: the sweep replays them under the change.
"""

from django import forms
from django.contrib import admin
from django.urls import path

from apps.core.admin import ReadOnlyAdminMixin, RevealHiddenAdmin

from . import admin_whatif, services
from .models import BusinessCalendar, SlaClock, SlaClockEvent, SlaPolicy, SlaTarget


class BusinessCalendarForm(forms.ModelForm):
    class Meta:
        model = BusinessCalendar
        fields = services.CALENDAR_FIELDS

    def clean(self):
        cleaned = super().clean()
        candidate = BusinessCalendar(
            **{k: v for k, v in cleaned.items() if k in services.CALENDAR_FIELDS}
        )
        try:
            services.calendar_check(candidate)
        except services.SlaConfigError as error:
            self.add_error(error.fields and next(iter(error.fields)) or None, error.message)
        return cleaned


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(admin.ModelAdmin):
    form = BusinessCalendarForm
    list_display = ["name", "timezone", "holiday_country", "updated_at"]
    search_fields = ["name"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change:
            services.policies_changed()


class SlaTargetInline(admin.TabularInline):
    model = SlaTarget
    extra = 3


class SlaPolicyForm(forms.ModelForm):
    class Meta:
        model = SlaPolicy
        fields = (*services.POLICY_FIELDS, "match_teams", "match_organizations")

    def clean(self):
        cleaned = super().clean()
        candidate = SlaPolicy(
            warning_percent=cleaned.get("warning_percent") or 75,
            pause_statuses=cleaned.get("pause_statuses") or {},
        )
        try:
            services.policy_check(candidate)
        except services.SlaConfigError as error:
            self.add_error(error.fields and next(iter(error.fields)) or None, error.message)
        return cleaned


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin):
    form = SlaPolicyForm
    inlines = [SlaTargetInline]
    list_display = ["name", "position", "is_active", "calendar", "warning_percent"]
    list_editable = ["position", "is_active"]
    filter_horizontal = ["match_teams", "match_organizations"]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        services.policies_changed()  # after the targets and conditions are saved

    def get_urls(self):
        # "What-if" (a button on the list, templates/admin/sla/slapolicy/change_list.html):
        # a proposed policy replayed over a period, apps/sla/admin_whatif.py.
        view = self.admin_site.admin_view
        return [
            path(
                "whatif/",
                view(lambda request: admin_whatif.whatif_view(self, request)),
                name="sla_slapolicy_whatif",
            ),
            path(
                "whatif/<slug:run_key>/",
                view(lambda request, run_key: admin_whatif.whatif_run_view(self, request, run_key)),
                name="sla_slapolicy_whatif_run",
            ),
            *super().get_urls(),
        ]


class SlaClockEventInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = SlaClockEvent
    fields = ["kind", "at", "detail"]
    readonly_fields = ["kind", "at", "detail"]
    extra = 0


@admin.register(SlaClock)
class SlaClockAdmin(ReadOnlyAdminMixin, RevealHiddenAdmin, admin.ModelAdmin):
    list_display = ["case", "metric", "instance", "state", "due_at", "met_at", "breached_at"]
    list_filter = ["metric", "state"]
    list_select_related = ["case"]
    raw_id_fields = ["case"]
    inlines = [SlaClockEventInline]
