from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Prefetch
from django.forms.models import BaseInlineFormSet
from django.template.response import TemplateResponse

from apps.core.admin import ReadOnlyAdminMixin, RevealHiddenAdmin

from . import services
from .models import Contact, ContactEvent, ContactIdentity, Organization

MERGE_AT_MOST = 10  # contacts per merge action: each merge is a few queries and row locks


@admin.register(Organization)
class OrganizationAdmin(RevealHiddenAdmin, admin.ModelAdmin):
    list_display = ["name", "domain", "created_at"]
    search_fields = ["name", "domain"]


class IdentityInlineFormSet(BaseInlineFormSet):
    def clean(self):
        super().clean()
        kept = [f for f in self.forms if f.instance.pk and not self._should_delete_form(f)]
        if self.forms and not kept:
            raise ValidationError(
                "A contact needs at least one identity: merge it into "
                "another contact instead of removing them all."
            )


class ContactIdentityInline(ReadOnlyAdminMixin, RevealHiddenAdmin, admin.TabularInline):
    """Identities are shown, and removed with "Delete" (through contact_remove_identity, so
    the removal is audited and the last one stays); they are added by the channels and the
    API, which normalise them, not typed in raw here."""

    model = ContactIdentity
    formset = IdentityInlineFormSet
    extra = 0
    fields = readonly_fields = ["kind", "network", "value", "created_at"]
    can_delete = True
    admin_writes = frozenset({"change", "delete"})


class ContactEventInline(ReadOnlyAdminMixin, RevealHiddenAdmin, admin.TabularInline):
    """The contact's audit trail, read-only."""

    model = ContactEvent
    extra = 0
    can_delete = False
    fields = readonly_fields = ["at", "kind", "actor", "before", "after"]
    ordering = ["-at", "-id"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")


@admin.register(Contact)
class ContactAdmin(ReadOnlyAdminMixin, RevealHiddenAdmin, admin.ModelAdmin):
    """Identities are removed and contacts merged through the services (both audited)."""

    list_display = ["__str__", "organization", "merged_into", "created_at"]
    list_select_related = ["organization", "merged_into"]
    search_fields = ["name", "identities__value"]
    list_filter = ["organization"]
    raw_id_fields = ["organization"]
    # merged_into changes only by a merge, which moves identities and cases along with it.
    readonly_fields = ["merged_into", "created_by", "created_at", "updated_at"]
    inlines = [ContactIdentityInline, ContactEventInline]
    actions = ["merge_selected"]
    show_full_result_count = False
    # No delete: a contact is retired by merging it; deleting would take its identities and
    # its audit trail with it, with no identity_removed event.
    admin_writes = frozenset({"add", "change"})

    def save_formset(self, request, form, formset, change):
        if formset.model is not ContactIdentity:
            return super().save_formset(request, form, formset, change)
        formset.save(commit=False)  # collects formset.deleted_objects, deletes nothing
        for identity in formset.deleted_objects:
            try:
                services.contact_remove_identity(
                    contact_id=form.instance.pk, identity_id=identity.pk, actor=request.user
                )
            except services.ContactError as exc:  # e.g. another admin removed the others
                self.message_user(request, f"{identity} was kept: {exc}.", messages.ERROR)

    @admin.action(description="Merge the selected contacts into one…", permissions=["change"])
    def merge_selected(self, request, queryset):
        contacts = list(
            queryset.filter(merged_into__isnull=True)
            .annotate(case_count=Count("cases", distinct=True))
            .prefetch_related(
                Prefetch("identities", queryset=ContactIdentity.objects.order_by("kind"))
            )
            .order_by("created_at", "pk")[: MERGE_AT_MOST + 1]
        )
        if not 2 <= len(contacts) <= MERGE_AT_MOST:
            self.message_user(
                request,
                f"Select between 2 and {MERGE_AT_MOST} contacts that were not merged already.",
                messages.WARNING,
            )
            return None
        by_pk = {str(c.pk): c for c in contacts}
        target = by_pk.get(request.POST.get("into", ""))
        if request.POST.get("post") == "yes" and target is not None:
            sources = [c for c in contacts if c is not target]
            try:
                with transaction.atomic():
                    for source in sources:
                        services.contact_merge(
                            source_id=source.pk, target_id=target.pk, actor=request.user
                        )
            except services.ContactMergeError as exc:
                self.message_user(request, f"Nothing was merged: {exc}.", messages.ERROR)
                return None
            self.message_user(
                request,
                f"Merged {len(sources)} contact(s) into {target} (#{target.pk}).",
                messages.SUCCESS,
            )
            return None
        return TemplateResponse(
            request,
            "admin/contacts/contact/merge_selected.html",
            {
                **self.admin_site.each_context(request),
                "title": "Merge contacts",
                "opts": self.model._meta,
                "contacts": contacts,
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
                "missing_choice": request.POST.get("post") == "yes",
            },
        )


@admin.register(ContactIdentity)
class ContactIdentityAdmin(ReadOnlyAdminMixin, RevealHiddenAdmin, admin.ModelAdmin):
    list_display = ["value", "kind", "network", "contact", "created_at"]
    list_select_related = ["contact"]
    list_filter = ["kind", "network"]
    search_fields = ["value"]
    readonly_fields = ["contact", "kind", "network", "value", "created_at"]
    show_full_result_count = False
    # Added by the channels; removed on the contact's page, audited and never the last one.
    admin_writes = frozenset({"change"})


@admin.register(ContactEvent)
class ContactEventAdmin(ReadOnlyAdminMixin, RevealHiddenAdmin, admin.ModelAdmin):
    """The contacts' audit trail is append-only: no add, change or delete here."""

    list_display = ["at", "contact", "kind", "actor"]
    list_select_related = ["contact", "actor"]
    list_filter = ["kind"]
    readonly_fields = [f.name for f in ContactEvent._meta.concrete_fields]
    show_full_result_count = False
