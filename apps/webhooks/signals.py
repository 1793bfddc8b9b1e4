"""Cache upkeep: any change to a subscription clears the "any active subscription?" flag."""

from django.core.cache import cache
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from .models import WebhookSubscription
from .services import ANY_ACTIVE_CACHE_KEY


@receiver(
    [post_save, post_delete], sender=WebhookSubscription, dispatch_uid="cxdesk.webhooks.any-active"
)
def forget_any_active(sender, **kwargs) -> None:
    cache.delete(ANY_ACTIVE_CACHE_KEY)
