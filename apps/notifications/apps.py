from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "apps.notifications"
    label = "notifications"
    verbose_name = "Notifications"

    def ready(self) -> None:
        from apps.cases import events

        from .case_events import case_changes_notify

        # In the transaction: the notifications commit (or roll back) with the case change.
        events.subscribe(case_changes_notify, in_transaction=True)
