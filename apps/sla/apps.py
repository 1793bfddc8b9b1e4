from django.apps import AppConfig


class SlaConfig(AppConfig):
    name = "apps.sla"
    label = "sla"
    verbose_name = "SLA"

    def ready(self) -> None:
        from django.conf import settings

        from apps.cases import events

        from . import signals  # noqa: F401  (forgets cached policies when one changes)

        if not settings.CXDESK_SLA_ENABLED:
            return

        from .case_events import cases_changed

        # In the transaction it only gathers case ids; they are enqueued once it commits
        # (case_events.py). A lost task is caught by the sweep.
        events.subscribe(cases_changed, in_transaction=True)
