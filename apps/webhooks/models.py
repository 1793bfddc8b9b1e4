"""Outbound webhooks: who wants which events (subscriptions), and every send (deliveries).

A WebhookDelivery row is the source of truth for one event to one subscription: the
`deliver` task and the sweep only move it along pending → sending → delivered | failed
(see services.py for the rules and the signature scheme).
"""

import secrets
import uuid

from django.conf import settings
from django.core.validators import URLValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

SECRET_PREFIX = "whsec_"


class EventType(models.TextChoices):
    CASE_CREATED = "case.created", "Case created"
    CASE_UPDATED = "case.updated", "Case updated"
    INTERACTION_CREATED = "interaction.created", "Interaction created"
    SLA_BREACHED = "sla.breached", "SLA breached"
    SLA_WARNING = "sla.warning", "SLA target at risk"
    ROOT_CAUSE_SPIKE = "rootcause.spike", "Root-cause spike"
    SURVEY_ANSWERED = "survey.answered", "Survey answered"


EVENT_TYPES: tuple[str, ...] = tuple(EventType.values)


def generate_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


class WebhookSubscription(models.Model):
    """An integration's endpoint and the events it wants.

    It receives an event about a case only when its `owner` may see that case (the same rule as
    `CaseQuerySet.visible_to`): the owner's visibility is the subscription's scope.
    """

    name = models.CharField(max_length=100, blank=True)
    url = models.URLField(
        max_length=2000,
        validators=[URLValidator(schemes=["http", "https"])],
        help_text="Receives a POST with a JSON body for each event",
    )
    events = models.JSONField(default=list, help_text='Event names, e.g. ["case.created"]')
    secret = models.CharField(
        max_length=100,
        default=generate_secret,
        editable=False,
        help_text="Signs every delivery (Cxdesk-Signature header)",
    )
    is_active = models.BooleanField(default=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="webhook_subscriptions",
        help_text="Deliveries about a case go out only when this user may see the case",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name or self.url

    def wants(self, event: str) -> bool:
        return event in (self.events or ())


class WebhookDelivery(models.Model):
    """One event sent (or to be sent) to one subscription, with the outcome of its last try."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed"

    subscription = models.ForeignKey(
        WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.CharField(max_length=40, choices=EventType.choices)
    # The same for every delivery of one emitted event: consumers de-duplicate with it.
    event_id = models.UUIDField(default=uuid.uuid4)
    payload = models.JSONField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    # When a pending delivery may be tried next; None once it is delivered or failed.
    next_attempt_at = models.DateTimeField(null=True, blank=True, default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    response_excerpt = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "webhook deliveries"
        indexes = [
            # The sweep: due pending rows, and stale `sending` claims.
            models.Index(fields=["status", "next_attempt_at"], name="webhook_delivery_due_idx"),
            # The delivery log in admin: one subscription's deliveries, newest first.
            models.Index(fields=["subscription", "-created_at"], name="webhook_delivery_log_idx"),
            models.Index(fields=["-created_at"], name="webhook_delivery_created_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["event_id", "subscription"], name="webhook_delivery_once_per_event"
            ),
            models.CheckConstraint(
                condition=~Q(status="pending") | Q(next_attempt_at__isnull=False),
                name="webhook_delivery_pending_has_next_attempt",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event} → {self.subscription_id} ({self.status})"
