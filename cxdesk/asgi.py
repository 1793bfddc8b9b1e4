"""ASGI entry point."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cxdesk.settings")

application = get_asgi_application()

from cxdesk.checks import refuse_development_key_in_production  # noqa: E402

refuse_development_key_in_production()
