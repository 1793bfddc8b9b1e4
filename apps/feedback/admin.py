"""Feedback in the admin: read-only. Answers are the customers' own words, given through
their signed links; follow-ups move through the supervisors' page (services.py)."""

from django.contrib import admin

from apps.core.admin import ReadOnlyAdminMixin, RevealHiddenAdmin

from .models import FollowUp, Survey, SurveyOptOut


@admin.register(Survey)
class SurveyAdmin(ReadOnlyAdminMixin, RevealHiddenAdmin, admin.ModelAdmin):
    list_display = ["id", "kind", "case", "state", "reason", "channel", "rating", "sent_at"]
    list_filter = ["kind", "state", "channel", "satisfied"]
    list_select_related = ["case"]
    raw_id_fields = ["case", "contact", "interaction", "team", "agent", "root_cause"]
    ordering = ["-id"]
    show_full_result_count = False


@admin.register(FollowUp)
class FollowUpAdmin(ReadOnlyAdminMixin, RevealHiddenAdmin, admin.ModelAdmin):
    list_display = ["id", "case", "team", "state", "opened_at", "resolved_at"]
    list_filter = ["state"]
    list_select_related = ["case", "team"]
    raw_id_fields = ["survey", "case", "contact", "team", "contacted_by", "resolved_by"]
    ordering = ["-id"]
    show_full_result_count = False


@admin.register(SurveyOptOut)
class SurveyOptOutAdmin(ReadOnlyAdminMixin, RevealHiddenAdmin, admin.ModelAdmin):
    list_display = ["contact", "at"]
    raw_id_fields = ["contact", "survey"]
    ordering = ["-at"]
