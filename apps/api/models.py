from django.conf import settings
from django.db import models


class ApiToken(models.Model):
    """A named credential for an integration. Only a hash of the key is stored.

    The key reads `cxd_<prefix>_<secret>`: the prefix finds the row, the SHA-256 of the whole
    key proves it. A token acts as its owner, narrowed to its scopes.
    """

    class Scope(models.TextChoices):
        CASES_READ = "cases:read", "Read cases and interactions"
        CASES_WRITE = "cases:write", "Create and change cases, add interactions"
        CONTACTS_READ = "contacts:read", "Read contacts"
        CONTACTS_WRITE = "contacts:write", "Create contacts and add identities"
        WEBHOOKS_READ = "webhooks:read", "Read webhook subscriptions"
        WEBHOOKS_WRITE = "webhooks:write", "Manage webhook subscriptions"
        SLA_READ = "sla:read", "Read business calendars and SLA policies"
        SLA_WRITE = "sla:write", "Manage business calendars and SLA policies (admins' tokens)"
        ROOTCAUSES_READ = "rootcauses:read", "Read the root-cause taxonomy"
        ROOTCAUSES_WRITE = "rootcauses:write", "Manage the root-cause taxonomy (admins' tokens)"
        SURVEYS_READ = "surveys:read", "Read customer survey answers and figures"
        PROBLEMS_READ = "problems:read", "Read problems and their verdicts"
        PROBLEMS_WRITE = "problems:write", "Change problems, list cases under them, answer them"
        REPORTS_READ = (
            "reports:read",
            "Read the supervisors' reports (their tokens)",
        )

    name = models.CharField(max_length=100)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    prefix = models.CharField(max_length=16, unique=True)
    key_hash = models.CharField(max_length=64)
    scopes = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} (cxd_{self.prefix}_…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes


class IdempotencyRecord(models.Model):
    """The first response to a POST carrying an Idempotency-Key, replayed for retries.

    Keyed by who sent it (a hash of the credential or the session user) and the key, so two
    integrations can use the same key without meeting. Purged after a day.
    """

    principal = models.CharField(max_length=80)
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64, help_text="SHA-256 of method, path and body")
    status_code = models.PositiveSmallIntegerField(null=True)
    content_type = models.CharField(max_length=100, blank=True)
    body = models.BinaryField(null=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["principal", "key"], name="idempotency_unique_key")
        ]
        indexes = [models.Index(fields=["created_at"], name="idempotency_created_idx")]

    def __str__(self) -> str:
        return f"{self.key} ({self.status_code or 'in progress'})"
