from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "apps.accounts"
    label = "accounts"

    def ready(self) -> None:
        from . import timezones  # noqa: F401  (the sign-in receiver that stores the zone)
