"""Public email endpoints, mounted at /channels/email/: email providers' webhooks.

django-anymail's views, e.g. /channels/email/anymail/mailgun/inbound/ (or inbound_mime/),
/channels/email/anymail/postmark/inbound/, /channels/email/anymail/sendgrid/inbound/,
/channels/email/anymail/amazon_ses/inbound/ … Each checks the basic-auth secret
(settings.ANYMAIL["WEBHOOK_SECRET"], "user:password" put in the URL the provider calls) and
the provider's signature where it has one, then sends `anymail.signals.inbound`, which
services.anymail_inbound_received turns into email_receive(source="webhook").

Anymail only warns when no secret is set and then accepts anyone's POST; these endpoints
open cases, so here they answer 403 until a secret is configured.
"""

from functools import wraps

from anymail import urls as anymail_urls
from anymail.signals import inbound
from django.conf import settings
from django.http import JsonResponse
from django.urls import URLPattern, include, path
from django.views.decorators.csrf import csrf_exempt

from apps.api.errors import envelope

from . import services

# Connected here because these URLs are the only way the signal is sent; the dispatch_uid
# makes a second import harmless. (AppConfig.ready() would be the canonical place.)
inbound.connect(services.anymail_inbound_received, dispatch_uid="cxdesk.mail.inbound")


def webhook_secret_configured() -> bool:
    return bool((getattr(settings, "ANYMAIL", None) or {}).get("WEBHOOK_SECRET"))


def _require_secret(view):
    @wraps(view)
    def guarded(request, *args, **kwargs):
        if not webhook_secret_configured():
            return JsonResponse(envelope(
                403, "webhook_secret_missing", "Email provider webhooks are off until "
                "ANYMAIL_WEBHOOK_SECRET is set (basic auth user:password)."), status=403)
        return view(request, *args, **kwargs)

    return csrf_exempt(guarded)


_guarded = [URLPattern(p.pattern, _require_secret(p.callback), p.default_args, p.name)
            for p in anymail_urls.urlpatterns]

urlpatterns = [
    path("anymail/", include((_guarded, anymail_urls.app_name))),
]
