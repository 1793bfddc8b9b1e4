from django.apps import AppConfig


class RootCausesConfig(AppConfig):
    name = "apps.rootcauses"
    label = "rootcauses"
    verbose_name = "Root causes"

    def ready(self) -> None:
        from apps.cases import events

        from .case_events import cases_changed

        # After commit: the cases whose text may have changed are enqueued by name for their
        # suggestions (a lost task is repaired by the next training run's sweep).
        events.subscribe(cases_changed)
