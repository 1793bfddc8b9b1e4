"""Deployment guards beyond Django's own `check --deploy`."""

from django.conf import settings
from django.core.checks import Error, Tags, register
from django.core.exceptions import ImproperlyConfigured


def refuse_development_key_in_production() -> None:
    """Called by the WSGI/ASGI entry points: a served site never signs with the built-in key."""
    if not settings.DEBUG and settings.SECRET_KEY == settings.DEVELOPMENT_SECRET_KEY:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set SECRET_KEY in the environment (or DEBUG=true for a demo)."
        )


@register(Tags.security, deploy=True)
def check_secret_key_is_set(app_configs, **kwargs):
    if settings.SECRET_KEY == settings.DEVELOPMENT_SECRET_KEY:
        return [
            Error(
                "SECRET_KEY is the built-in development key.",
                hint="Set SECRET_KEY in the environment to a long random value.",
                id="cxdesk.E001",
            )
        ]
    return []


@register(Tags.security, deploy=True)
def check_database_is_not_sqlite(app_configs, **kwargs):
    from django.core.checks import Warning

    if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        return [
            Warning(
                "The database is SQLite; production runs on PostgreSQL.",
                hint="Set DATABASE_URL=postgres://user:password@host:5432/cxdesk.",
                id="cxdesk.W001",
            )
        ]
    return []
