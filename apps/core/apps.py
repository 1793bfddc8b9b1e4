from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "apps.core"
    label = "core"
    verbose_name = "cxdesk core"

    def ready(self):
        from cxdesk import checks  # noqa: F401  (registers the deploy checks)
