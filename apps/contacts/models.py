from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef
from django.utils import timezone


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


class ContactQuerySet(models.QuerySet["Contact"]):
    def visible_to(self, user) -> "ContactQuerySet":
        """The contacts a user may see and change: the one rule, for every read and write.

        A contact is visible to whoever may see at least one of its cases (the rule of
        `Case.objects.visible_to`: admins every case, others their teams' cases and the
        cases assigned to them). A contact with no case at all is visible to admins and to
        the user who created it through the API (`created_by`), so an integration can
        create a person and then open their first case.

        One query, no Python loop: per contact row, one EXISTS over `visible case UNION ALL
        own caseless contact`, each branch an index probe (case requester; contact pk). Not
        `EXISTS(…) OR …`: PostgreSQL cannot run an OR of sub-selects as a semi-join and
        hashes the whole case table first (183 ms against 4 ms for a page of 50,000
        contacts and 100,000 cases).
        """
        from apps.cases.models import Case

        cases = Case.objects.visible_to(user)
        if cases.query.is_empty():
            return self.none()  # signed out or inactive
        if not cases.query.has_filters():
            return self  # admins see every case, hence every contact: no subquery
        through_a_case = cases.filter(requester=OuterRef("pk")).values("requester_id")
        own_and_caseless = (
            self.model._default_manager.filter(pk=OuterRef("pk"), created_by=user)
            .filter(~Exists(Case.objects.filter(requester=OuterRef("pk"))))
            .values("pk")
        )
        return self.filter(Exists(through_a_case.union(own_and_caseless, all=True)))


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
    # Who created it through the API (None: a channel or the system). Lets that user see
    # the contact while it has no case yet (see ContactQuerySet.visible_to).
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ContactQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["name"], name="contact_name_idx"),
            # The API's contact list pages by creation time, newest first.
            models.Index(fields=["-created_at"], name="contact_created_idx"),
        ]

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


class ContactEvent(models.Model):
    """Append-only audit trail of a contact: who added or removed which identity, merges.

    Written only by apps.contacts.services, in the same transaction as the change. `actor`
    is the user (through the API or the admin); None means a channel or the system (an email
    sender, a chat visitor). `before` / `after` hold the identity as
    {"kind", "network", "value"}, or for merges the other contact and what moved.
    """

    class Kind(models.TextChoices):
        CREATED = "created", "Created"
        IDENTITY_ADDED = "identity_added", "Identity added"
        IDENTITY_REMOVED = "identity_removed", "Identity removed"
        MERGED_INTO = "merged_into", "Merged into another contact"
        MERGED_FROM = "merged_from", "Another contact merged in"

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["contact", "at"], name="contact_event_timeline_idx")]

    def __str__(self) -> str:
        return (
            f"{self.get_kind_display()} on contact #{self.contact_id} at {self.at:%Y-%m-%d %H:%M}"
        )
