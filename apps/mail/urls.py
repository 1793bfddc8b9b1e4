"""Public email endpoints, mounted at /channels/email/: email providers' webhooks.

django-anymail's views, e.g. /channels/email/anymail/mailgun/inbound/ (or inbound_mime/),
/channels/email/anymail/postmark/inbound/, /channels/email/anymail/sendgrid/inbound/,
/channels/email/anymail/amazon_ses/inbound/ … — every URL anymail offers, each wrapped by
webhooks.guard: the basic-auth secret (settings.ANYMAIL["WEBHOOK_SECRET"], "user:password"
put in the URL the provider calls) is checked before any provider code runs, then the
provider's signature where it has one; `anymail.signals.inbound` is then sent, which
services.anymail_inbound_received turns into email_receive(source="webhook").

Anymail only warns when no secret is set and then accepts anyone's POST; these endpoints
open cases, so here they answer 403 until a secret is configured.
"""

from anymail import urls as anymail_urls
from anymail.signals import inbound
from django.urls import URLPattern, include, path

from . import services, webhooks

# Connected here because these URLs are the only way the signal is sent; the dispatch_uid
# makes a second import harmless. (AppConfig.ready() would be the canonical place.)
inbound.connect(services.anymail_inbound_received, dispatch_uid="cxdesk.mail.inbound")

_guarded = [
    URLPattern(p.pattern, webhooks.guard(p.callback), p.default_args, p.name)
    for p in anymail_urls.urlpatterns
]

urlpatterns = [
    path("anymail/", include((_guarded, anymail_urls.app_name))),
]
