from django.contrib import admin

from apps.core.admin import RevealHiddenAdmin

from .models import Contact, ContactIdentity, Organization


@admin.register(Organization)
class OrganizationAdmin(RevealHiddenAdmin, admin.ModelAdmin):
    list_display = ["name", "domain", "created_at"]
    search_fields = ["name", "domain"]


class ContactIdentityInline(RevealHiddenAdmin, admin.TabularInline):
    model = ContactIdentity
    extra = 0
    readonly_fields = ["kind", "network", "value", "created_at"]
    can_delete = False

    def has_add_permission(self, request, obj=None):
        # Identities are normalised by contacts.services; they are not typed in raw here.
        return False


@admin.register(Contact)
class ContactAdmin(RevealHiddenAdmin, admin.ModelAdmin):
    list_display = ["__str__", "organization", "merged_into", "created_at"]
    list_select_related = ["organization", "merged_into"]
    search_fields = ["name", "identities__value"]
    list_filter = ["organization"]
    raw_id_fields = ["merged_into", "organization"]
    inlines = [ContactIdentityInline]
    show_full_result_count = False


@admin.register(ContactIdentity)
class ContactIdentityAdmin(RevealHiddenAdmin, admin.ModelAdmin):
    list_display = ["value", "kind", "network", "contact", "created_at"]
    list_select_related = ["contact"]
    list_filter = ["kind", "network"]
    search_fields = ["value"]
    readonly_fields = ["contact", "kind", "network", "value", "created_at"]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False
