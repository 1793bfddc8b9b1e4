"""The taxonomy in the admin: nodes are added, changed and retired through the services
(a refused change is a form error); trained models and spikes are shown, never edited."""

from django import forms
from django.contrib import admin, messages

from apps.core.admin import ReadOnlyAdminMixin, RevealHiddenAdmin
from apps.core.errors import DomainError

from . import services
from .models import RootCause, RootCauseSpike, SuggestionModel


class RootCauseForm(forms.ModelForm):
    class Meta:
        model = RootCause
        fields = ["name", "parent", "owner_team", "description"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "parent" in self.fields:  # adding: only current nodes above the detail level
            self.fields["parent"].queryset = RootCause.objects.active().filter(depth__lt=3)

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        try:
            # The node as the service wrote it: the form's own checks then compare with it.
            self.instance = self._apply(cleaned)
        except DomainError as error:
            field = next(iter(error.fields or {}), None)
            self.add_error(field if field in self.fields else None, error.message)
        return cleaned

    def _apply(self, cleaned) -> RootCause:
        # Run the service here, inside the admin's transaction: its refusal is a form error.
        if self.instance.pk:
            return services.root_cause_update(
                root_cause_id=self.instance.pk,
                name=cleaned["name"],
                owner_team=cleaned["owner_team"],
                description=cleaned.get("description", ""),
            )
        return services.root_cause_create(
            name=cleaned["name"],
            parent=cleaned.get("parent"),
            owner_team=cleaned["owner_team"],
            description=cleaned.get("description", ""),
        )


@admin.register(RootCause)
class RootCauseAdmin(RevealHiddenAdmin, admin.ModelAdmin):
    form = RootCauseForm
    list_display = ["path", "owner_team", "depth", "retired_at"]
    list_filter = ["owner_team", "depth", ("retired_at", admin.EmptyFieldListFilter)]
    search_fields = ["path", "description"]
    list_select_related = ["owner_team"]
    actions = ["retire"]

    def get_readonly_fields(self, request, obj=None):
        return ["parent", "path", "retired_at"] if obj else []

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is not None:
            kwargs["fields"] = ["name", "owner_team", "description"]
        return super().get_form(request, obj, change=change, **kwargs)

    def save_model(self, request, obj, form, change):
        pass  # written by the service in the form's clean(), in the admin's transaction

    def save_related(self, request, form, formsets, change):
        pass  # a node has no many-to-many of its own

    def has_delete_permission(self, request, obj=None):
        return False  # retire instead: cases and their history keep the node

    @admin.action(description="Retire the selected root causes (and the nodes under them)")
    def retire(self, request, queryset):
        for node in queryset:
            services.root_cause_retire(root_cause_id=node.pk)
        messages.success(request, f"{queryset.count()} root causes retired.")


@admin.register(SuggestionModel)
class SuggestionModelAdmin(ReadOnlyAdminMixin, RevealHiddenAdmin, admin.ModelAdmin):
    list_display = ["version", "created_at", "cases", "classes", "algorithm"]
    exclude = ["blob"]


@admin.register(RootCauseSpike)
class RootCauseSpikeAdmin(ReadOnlyAdminMixin, RevealHiddenAdmin, admin.ModelAdmin):
    """What the spike test found (apps/rootcauses/spikes.py); written by the beat task."""

    list_display = [
        "root_cause",
        "state",
        "first_day",
        "last_day",
        "observed",
        "expected",
        "p_value",
        "alerted_at",
    ]
    list_filter = ["state", "root_cause__owner_team"]
    list_select_related = ["root_cause"]
    search_fields = ["root_cause__path"]
