"""htmx is vendored with its licence, loaded by every page, configured for our CSP, and
`request.htmx` (django-htmx) tells a view an htmx request from a plain one."""

from pathlib import Path

from django.conf import settings
from django.http import HttpResponse
from django.test import RequestFactory
from django_htmx.middleware import HtmxMiddleware

VENDOR = Path(settings.BASE_DIR) / "static" / "vendor" / "htmx"


def test_htmx_is_vendored_with_its_licence():
    script = (VENDOR / "htmx.min.js").read_text()
    assert 'version:"2.0.11"' in script.replace(" ", "")
    assert "Zero-Clause BSD" in (VENDOR / "LICENSE").read_text()


def test_every_page_loads_htmx_configured_for_the_csp(client, agent):
    client.force_login(agent)
    page = client.get("/").content.decode()
    assert "/static/vendor/htmx/htmx.min.js" in page
    assert '"includeIndicatorStyles": false' in page  # htmx's inline <style> breaks style-src
    assert '"allowEval": false' in page
    assert 'hx-headers=\'{"X-CSRFToken": "' in page  # htmx's POSTs pass the CSRF check


def test_request_htmx_tells_an_htmx_request_apart():
    seen = []
    middleware = HtmxMiddleware(lambda request: seen.append(bool(request.htmx)) or HttpResponse())
    factory = RequestFactory()
    middleware(factory.get("/", HTTP_HX_REQUEST="true"))
    middleware(factory.get("/"))
    assert seen == [True, False]
    assert "django_htmx.middleware.HtmxMiddleware" in settings.MIDDLEWARE
