from django.apps import AppConfig


class SlaConfig(AppConfig):
    name = "apps.sla"
    label = "sla"
    verbose_name = "SLA"

    def ready(self) -> None:
        from apps.cases import events

        from .case_events import cases_changed

        # After commit: the recompute is a task; a lost one is caught by the sweep (the
        # case's updated_at is later than its sla_computed_at).
        events.subscribe(cases_changed)
