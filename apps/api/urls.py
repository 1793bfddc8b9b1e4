from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from rest_framework.routers import SimpleRouter

from apps.accounts.api import TeamViewSet
from apps.cases.api import CaseInteractionViewSet, CaseViewSet, TagViewSet
from apps.contacts.api import ContactViewSet
from apps.webhooks.api import WebhookSubscriptionViewSet

app_name = "api"

router = SimpleRouter(trailing_slash="/?")
router.register("cases", CaseViewSet, basename="case")
router.register(r"cases/(?P<case_pk>\d+)/interactions", CaseInteractionViewSet,
                basename="case-interaction")
router.register("contacts", ContactViewSet, basename="contact")
router.register("teams", TeamViewSet, basename="team")
router.register("tags", TagViewSet, basename="tag")
router.register("webhooks", WebhookSubscriptionViewSet, basename="webhook")

urlpatterns = [
    path("v1/", include(router.urls)),
    # Channel endpoints for integrations (each app's api_urls.py), under /api/v1/ too.
    path("v1/", include("apps.mail.api_urls")),
    path("v1/", include("apps.chat.api_urls")),
    path("v1/", include("apps.phone.api_urls")),
    path("v1/", include("apps.social.api_urls")),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="api:schema"), name="redoc"),
]
