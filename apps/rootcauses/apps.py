from django.apps import AppConfig


class RootCausesConfig(AppConfig):
    name = "apps.rootcauses"
    label = "rootcauses"
    verbose_name = "Root causes"

    def ready(self) -> None:
        from django.db.models.signals import pre_delete

        from apps.cases import events
        from apps.cases.models import Case
        from apps.sla import services as sla_services

        from . import rollups
        from .case_events import cases_changed

        # After commit: the cases whose text may have changed are enqueued by name for their
        # suggestions (a lost task is repaired by the next training run's sweep).
        events.subscribe(cases_changed)
        # In the writer's transaction: the rollups' marks commit or roll back with the change
        # (apps/rootcauses/rollups.py), from the case writers, the SLA metrics writer and the
        # admin's delete of a case (the one writer that does not announce).
        events.subscribe(rollups.case_changes_mark, in_transaction=True)
        sla_services.metrics_subscribe(rollups.metrics_changed_mark)
        pre_delete.connect(rollups.case_deleted_mark, sender=Case, dispatch_uid="rc-rollup-del")
