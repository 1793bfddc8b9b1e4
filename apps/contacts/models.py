from django.db import models


class Organization(models.Model):
    """The company a contact belongs to (B2B accounts); optional."""

    name = models.CharField(max_length=200, unique=True)
    domain = models.CharField(
        max_length=253, blank=True, help_text="Email domain of its people, e.g. example.com"
    )
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["domain"], name="organization_domain_idx")]

    def __str__(self) -> str:
        return self.name


class Contact(models.Model):
    """One person, whatever channel they reach us on: their identities point here."""

    name = models.CharField(max_length=200, blank=True)
    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.SET_NULL, related_name="contacts"
    )
    notes = models.TextField(blank=True)
    # Set when this contact was merged into another; it keeps no identities or cases.
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="merged_from"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["name"], name="contact_name_idx")]

    def __str__(self) -> str:
        return self.name or f"Contact #{self.pk}"


class ContactIdentity(models.Model):
    """An address a contact is known by: email, phone, a social handle on a network, a chat id.

    `value` is stored normalised (see identities.py), so the same person writing
    "Ann@Example.COM" and "ann@example.com" or calling from "(202) 555-0143" and
    "+1 202 555 0143" is found as one contact.
    """

    class Kind(models.TextChoices):
        EMAIL = "email", "Email"
        PHONE = "phone", "Phone"
        SOCIAL = "social", "Social handle"
        CHAT = "chat", "Chat visitor"

    class Network(models.TextChoices):
        NONE = "", "—"
        FACEBOOK = "facebook", "Facebook / Messenger"
        INSTAGRAM = "instagram", "Instagram"
        WHATSAPP = "whatsapp", "WhatsApp"
        X = "x", "X (Twitter)"

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="identities")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    network = models.CharField(max_length=20, choices=Network.choices, blank=True, default="")
    value = models.CharField(max_length=320)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "contact identities"
        ordering = ["kind", "network", "value"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "network", "value"], name="contact_identity_unique_address"
            ),
            models.CheckConstraint(
                condition=(models.Q(kind="social") & ~models.Q(network=""))
                | (~models.Q(kind="social") & models.Q(network="")),
                name="contact_identity_network_only_for_social",
            ),
        ]

    def __str__(self) -> str:
        if self.kind == self.Kind.SOCIAL:
            return f"{self.network}:@{self.value}"
        return f"{self.kind}:{self.value}"
