from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from apps.core.admin import ReadOnlyAdminMixin, RevealHiddenAdmin

from .models import Attachment, Case, CaseEvent, Interaction, Tag


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


@admin.register(Case)
class CaseAdmin(ReadOnlyAdminMixin, RevealHiddenAdmin, admin.ModelAdmin):
    """Read-mostly: status, owners and content change through the services (audited)."""

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
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in Case._meta.concrete_fields] + ["reference"]
    inlines = [InteractionInline, CaseEventInline]
    show_full_result_count = False
    admin_writes = frozenset({"change", "delete"})  # cases are opened by the channels

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
    admin_writes = frozenset({"change", "delete"})  # interactions are added by the services


@admin.register(CaseEvent)
class CaseEventAdmin(ReadOnlyAdminMixin, RevealHiddenAdmin, admin.ModelAdmin):
    """The audit trail is append-only: no add, change or delete here."""

    list_display = ["at", "case", "kind", "actor", "actor_contact"]
    list_select_related = ["case", "actor", "actor_contact"]
    list_filter = ["kind"]
    readonly_fields = [f.name for f in CaseEvent._meta.concrete_fields]
    show_full_result_count = False


@admin.register(Tag)
class TagAdmin(RevealHiddenAdmin, admin.ModelAdmin):
    search_fields = ["name"]
