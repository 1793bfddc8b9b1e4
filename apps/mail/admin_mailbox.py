"""Admin for Mailbox: IMAP settings (secrets write-only) and polling state."""

from django import forms
from django.contrib import admin, messages
from django.utils import timezone
from django.utils.html import format_html

from apps.core.admin import RevealHiddenAdmin
from apps.core.queue import enqueue

from . import imap
from .models import Mailbox

SECRET_FIELDS = ("imap_password", "oauth2_client_secret", "oauth2_refresh_token")


class MailboxForm(forms.ModelForm):
    """Secrets are write-only: never sent to the browser; a blank field keeps the stored one."""

    imap_password = forms.CharField(
        required=False,
        strip=False,
        label="IMAP password",
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
    )
    oauth2_client_secret = forms.CharField(
        required=False,
        strip=False,
        label="OAuth2 client secret",
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
    )
    oauth2_refresh_token = forms.CharField(
        required=False,
        strip=False,
        label="OAuth2 refresh token",
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
    )

    class Meta:
        model = Mailbox
        fields = [
            "name",
            "email_address",
            "team",
            "is_active",
            "imap_host",
            "imap_port",
            "imap_security",
            "allow_insecure",
            "imap_username",
            "auth_method",
            "imap_password",
            "oauth2_token_url",
            "oauth2_client_id",
            "oauth2_client_secret",
            "oauth2_refresh_token",
            "imap_folder",
            "processed_folder",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in SECRET_FIELDS:
            stored = bool(self.instance.pk and getattr(self.instance, name))
            self.fields[name].help_text = (
                "A value is stored (encrypted); leave blank to keep it, type a new one to "
                "replace it."
                if stored
                else "Stored encrypted; never shown again."
            )

    def clean(self):
        cleaned = super().clean()
        for name in SECRET_FIELDS:
            if not cleaned.get(name) and self.instance.pk:
                cleaned[name] = getattr(self.instance, name)  # blank keeps the stored secret
        if cleaned.get("imap_security") == Mailbox.Security.NONE and not cleaned.get(
            "allow_insecure"
        ):
            self.add_error(
                "imap_security",
                "Plain-text IMAP sends the password in clear: "
                "choose TLS or STARTTLS, or tick “allow insecure”.",
            )
        if cleaned.get("processed_folder") and imap.same_folder(
            cleaned["processed_folder"], cleaned.get("imap_folder") or ""
        ):
            self.add_error(
                "processed_folder",
                "Must differ from the folder that is read "
                "(leave it empty to leave messages in place).",
            )
        if cleaned.get("imap_host"):
            if cleaned.get("auth_method") == Mailbox.Auth.XOAUTH2:
                if not cleaned.get("oauth2_token_url"):
                    self.add_error("oauth2_token_url", "XOAUTH2 needs the token URL.")
                if not cleaned.get("oauth2_refresh_token"):
                    self.add_error("oauth2_refresh_token", "XOAUTH2 needs a refresh token.")
            elif not cleaned.get("imap_password"):
                self.add_error("imap_password", "An IMAP mailbox needs its password.")
        return cleaned

    def save(self, commit=True):
        mailbox = super().save(commit=False)
        self.forgets_access_token = bool(
            self.instance.pk
            and {
                "oauth2_refresh_token",
                "oauth2_token_url",
                "oauth2_client_id",
                "oauth2_client_secret",
            }
            & set(self.changed_data)
        )
        if self.forgets_access_token:
            # New credentials: the cached access token belonged to the old ones.
            mailbox.oauth2_access_token = ""
            mailbox.oauth2_expires_at = None
        if commit:
            mailbox.save(update_fields=self.fields_to_save() if self.instance.pk else None)
            self.save_m2m()
        return mailbox

    def fields_to_save(self) -> list[str]:
        """Only what this form edits: the polling state (last_uid, the poll claim …) and a
        refreshed access token are written by the poller meanwhile and must not be reverted
        to what they were when the page was opened."""
        editable = {f.name for f in Mailbox._meta.concrete_fields if f.editable}
        fields = [name for name in self.fields if name in editable] + ["updated_at"]
        if getattr(self, "forgets_access_token", False):
            fields += ["oauth2_access_token", "oauth2_expires_at"]
        return fields

    @property
    def changed_data(self):
        # A blank secret field means "unchanged", whatever Django's comparison says.
        return [
            name
            for name in super().changed_data
            if name not in SECRET_FIELDS or self.data.get(self.add_prefix(name))
        ]


@admin.register(Mailbox)
class MailboxAdmin(RevealHiddenAdmin, admin.ModelAdmin):
    form = MailboxForm
    list_display = [
        "name",
        "email_address",
        "team",
        "is_active",
        "imap_host",
        "poll_state",
        "last_polled_at",
    ]
    list_select_related = ["team"]
    list_filter = ["is_active", "imap_security", "auth_method"]
    search_fields = ["name", "email_address", "imap_host", "imap_username"]
    readonly_fields = [
        "poll_state",
        "last_polled_at",
        "last_error",
        "uidvalidity",
        "last_uid",
        "oauth2_expires_at",
        "created_at",
        "updated_at",
    ]
    fieldsets = [
        (None, {"fields": ["name", "email_address", "team", "is_active"]}),
        (
            "IMAP server",
            {
                "fields": [
                    "imap_host",
                    "imap_port",
                    "imap_security",
                    "allow_insecure",
                    "imap_folder",
                    "processed_folder",
                ]
            },
        ),
        (
            "Login",
            {
                "fields": [
                    "imap_username",
                    "auth_method",
                    "imap_password",
                    "oauth2_token_url",
                    "oauth2_client_id",
                    "oauth2_client_secret",
                    "oauth2_refresh_token",
                    "oauth2_expires_at",
                ]
            },
        ),
        (
            "Polling",
            {
                "fields": [
                    "poll_state",
                    "last_polled_at",
                    "last_error",
                    "uidvalidity",
                    "last_uid",
                    "created_at",
                    "updated_at",
                ]
            },
        ),
    ]
    actions = ["poll_now", "test_connection"]

    def save_model(self, request, obj, form, change):
        obj.save(update_fields=form.fields_to_save() if change else None)

    @admin.display(description="state")
    def poll_state(self, obj: Mailbox):
        if not obj.imap_host:
            return "no IMAP (webhooks / uploads only)"
        if not obj.is_active:
            return "inactive"
        if imap.is_polling(obj):
            return format_html(
                "polling now (claimed until {})",
                timezone.localtime(obj.last_polled_at).strftime("%H:%M:%S"),
            )
        if obj.last_error:
            return format_html(
                '<span class="cx-admin-error">error: {}</span>', obj.last_error[:120]
            )
        return "ok" if obj.last_polled_at else "not polled yet"

    @admin.action(description="Poll the selected mailboxes now", permissions=["change"])
    def poll_now(self, request, queryset):
        ids = list(
            queryset.filter(is_active=True).exclude(imap_host="").values_list("pk", flat=True)
        )
        queued = sum(1 for pk in ids if enqueue("apps.mail.tasks.poll_mailbox", pk))
        skipped = queryset.count() - len(ids)
        text = f"Polling asked for {queued} mailbox(es); the state column shows the outcome."
        if skipped:
            text += f" {skipped} skipped (inactive or without IMAP)."
        if queued < len(ids):
            text += f" {len(ids) - queued} could not be queued (is the broker up?)."
        self.message_user(request, text, messages.SUCCESS if queued else messages.WARNING)

    @admin.action(description="Test the IMAP connection", permissions=["change"])
    def test_connection(self, request, queryset):
        for mailbox in queryset.order_by("name")[:20]:  # each is a network round trip
            try:
                count = imap.mailbox_test_connection(mailbox_id=mailbox.pk)
            except imap.MailboxError as exc:
                self.message_user(request, f"{mailbox.email_address}: {exc}", messages.ERROR)
            else:
                self.message_user(
                    request,
                    f"{mailbox.email_address}: connected; "
                    f"{count} message(s) in {mailbox.imap_folder}.",
                    messages.SUCCESS,
                )
