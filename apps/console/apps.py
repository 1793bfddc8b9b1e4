from django.apps import AppConfig


class ConsoleConfig(AppConfig):
    name = "apps.console"
    label = "console"
    verbose_name = "Supervisor console"

    def ready(self) -> None:
        from django.db.models.signals import pre_delete

        from apps.cases import events
        from apps.cases.models import Case
        from apps.sla import services as sla_services

        from . import rollups

        # In the writer's transaction: the volume rollups' marks commit or roll back with
        # the change (apps/console/rollups.py), as the root-cause rollups' do.
        events.subscribe(rollups.case_changes_mark, in_transaction=True)
        sla_services.metrics_subscribe(rollups.metrics_changed_mark)
        pre_delete.connect(rollups.case_deleted_mark, sender=Case, dispatch_uid="volume-del")
