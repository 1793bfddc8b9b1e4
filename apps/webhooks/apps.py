from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "apps.webhooks"
    label = "webhooks"
    verbose_name = "Webhooks"

    def ready(self):
        from apps.cases import events

        from . import signals  # noqa: F401  (clears the subscription cache on changes)
        from .case_events import case_changes_emit

        # In the transaction: the deliveries are an outbox, committed with the case change.
        events.subscribe(case_changes_emit, in_transaction=True)
