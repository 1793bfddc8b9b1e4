from django import forms
from django.contrib import admin
from django.db import transaction
from django.urls import reverse
from django.utils.html import format_html

from apps.core.admin import ReadOnlyAdminMixin, RevealHiddenAdmin
from apps.core.errors import DomainError
from apps.core.paginators import CappedCountPaginator

from . import services
from .models import Attachment, Case, CaseEvent, Interaction, Tag

# What a supervisor changes on the case page; everything else is read-only there.
EDITABLE = ["subject", "status", "priority", "team", "assignee", "tags"]


class ReadOnlyInline(ReadOnlyAdminMixin, RevealHiddenAdmin, admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = True


class InteractionInline(ReadOnlyInline):
    model = Interaction
    fields = [
        "occurred_at",
        "channel",
        "direction",
        "is_public",
        "author_contact",
        "author_agent",
        "body_text",
    ]


class CaseEventInline(ReadOnlyInline):
    model = CaseEvent
    fields = ["at", "kind", "actor", "actor_contact", "before", "after"]


class CaseAdminForm(forms.ModelForm):
    """Saves through services.case_update, so each change records its CaseEvent and is
    announced like any other, with the admin as actor. The services run once every field is
    valid, in the admin's transaction; what they refuse (a transition the case does not allow,
    an assignee outside the team) is a form error, and nothing of the change is kept (nor
    when an inline has errors: CaseAdmin.render_change_form rolls the POST back)."""

    actor = None  # the admin's user, set by CaseAdmin.get_form

    class Meta:
        model = Case
        fields = EDITABLE

    def _post_clean(self):
        super()._post_clean()
        if self.errors or not self.has_changed():
            return
        changes = {name: self.cleaned_data[name] for name in self.changed_data}
        if "tags" in changes:
            changes["tags"] = [tag.name for tag in changes["tags"]]
        try:
            with transaction.atomic():
                services.case_update(case_id=self.instance.pk, actor=self.actor, **changes)
        except DomainError as exc:
            field = "status" if isinstance(exc, services.InvalidTransition) else exc.field
            self.add_error(field if field in self.fields else None, exc.message)


@admin.register(Case)
class CaseAdmin(ReadOnlyAdminMixin, RevealHiddenAdmin, admin.ModelAdmin):
    """Subject, status, priority, team, assignee and tags change through the services
    (audited, announced: CaseAdminForm); the rest is read-only."""

    list_display = [
        "reference",
        "subject",
        "status",
        "priority",
        "channel",
        "requester",
        "team",
        "assignee",
        "created_at",
        "updated_at",
    ]
    list_select_related = ["requester", "team", "assignee"]
    list_filter = ["status", "priority", "channel", "team", "created_at"]
    search_fields = ["subject", "requester__name", "requester__identities__value"]
    # No date_hierarchy: its year links are a DISTINCT over every case's date (0.4–0.8 s at
    # 1,000,000 cases, bench/agent_pages.py); the created_at filter above (today, past 7
    # days, this month, this year) narrows by date through the created_at index instead.
    # Counts stop at 10,000 rows and estimate beyond (apps/core/paginators.py): COUNT(*)
    # of every case took 160 ms a page at 1,000,000.
    paginator = CappedCountPaginator
    form = CaseAdminForm
    readonly_fields = [f.name for f in Case._meta.concrete_fields if f.name not in EDITABLE] + [
        "reference"
    ]
    inlines = [InteractionInline, CaseEventInline]
    show_full_result_count = False
    admin_writes = frozenset({"change", "delete"})  # cases are opened by the channels

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        return type(form.__name__, (form,), {"actor": request.user})

    def save_model(self, request, obj, form, change):
        pass  # CaseAdminForm saved it through the services

    def save_related(self, request, form, formsets, change):
        for formset in formsets:  # not form.save_m2m(): the tags went through case_set_tags
            self.save_formset(request, form, formset, change)

    def render_change_form(self, request, context, *args, **kwargs):
        if request.method == "POST":
            # The page comes back with errors (the form's or an inline's): what the form's
            # services wrote goes too. The admin runs this view in one transaction.
            transaction.set_rollback(True)
        return super().render_change_form(request, context, *args, **kwargs)

    def get_search_results(self, request, queryset, search_term):
        from .models import parse_reference

        pk = parse_reference(search_term)
        if pk:
            return queryset.filter(pk=pk), False
        return super().get_search_results(request, queryset, search_term)

    @admin.display(description="reference", ordering="pk")
    def reference(self, obj):
        return obj.reference


class AttachmentInline(ReadOnlyInline):
    """Files are downloaded through the case's download view (visibility checked, served as
    an attachment with nosniff and a sandbox CSP); nothing under MEDIA_URL is served."""

    model = Attachment
    fields = ["filename", "content_type", "size", "download"]
    readonly_fields = ["download"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("interaction")

    @admin.display(description="file")
    def download(self, obj):
        if obj.pk is None:
            return "—"
        url = reverse("case-attachment", args=[obj.interaction.case_id, obj.pk])
        return format_html('<a href="{}">Download</a>', url)


@admin.register(Interaction)
class InteractionAdmin(ReadOnlyAdminMixin, RevealHiddenAdmin, admin.ModelAdmin):
    list_display = [
        "pk",
        "case",
        "channel",
        "direction",
        "is_public",
        "author_contact",
        "author_agent",
        "occurred_at",
        "delivery_status",
    ]
    list_select_related = ["case", "author_contact", "author_agent"]
    list_filter = ["channel", "direction", "is_public", "delivery_status"]
    search_fields = ["external_id", "subject"]
    readonly_fields = [f.name for f in Interaction._meta.concrete_fields]
    inlines = [AttachmentInline]
    show_full_result_count = False
    paginator = CappedCountPaginator
    # Newest first by id, the primary key's index: the model's timeline order (occurred_at)
    # has no index of its own: a page of 3,000,000 interactions sorted so took 1.5 s.
    ordering = ["-id"]
    admin_writes = frozenset({"change", "delete"})  # interactions are added by the services


@admin.register(CaseEvent)
class CaseEventAdmin(ReadOnlyAdminMixin, RevealHiddenAdmin, admin.ModelAdmin):
    """The audit trail is append-only: no add, change or delete here."""

    list_display = ["at", "case", "kind", "actor", "actor_contact"]
    list_select_related = ["case", "actor", "actor_contact"]
    list_filter = ["kind"]
    readonly_fields = [f.name for f in CaseEvent._meta.concrete_fields]
    show_full_result_count = False
    paginator = CappedCountPaginator
    ordering = ["-id"]  # newest first through the primary key (no index leads with `at`)


@admin.register(Tag)
class TagAdmin(RevealHiddenAdmin, admin.ModelAdmin):
    search_fields = ["name"]
