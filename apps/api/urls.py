from csp.constants import SELF, UNSAFE_INLINE
from csp.decorators import csp_update
from django.urls import include, path, re_path
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)
from rest_framework.routers import SimpleRouter

from apps.accounts.api import TeamViewSet
from apps.cases.api import CaseInteractionViewSet, CaseViewSet, TagViewSet
from apps.console.api import ReportSummaryView
from apps.contacts.api import ContactViewSet
from apps.feedback.api import SurveyFiguresView, SurveyTrendsView, SurveyViewSet
from apps.problems.api import ProblemViewSet
from apps.rootcauses.api import (
    RootCauseCandidateViewSet,
    RootCauseDashboardView,
    RootCauseReportView,
    RootCauseSpikeViewSet,
    RootCauseViewSet,
)
from apps.sla.api import BusinessCalendarViewSet, SlaPolicyViewSet, SlaSummaryView
from apps.webhooks.api import WebhookSubscriptionViewSet

app_name = "api"

router = SimpleRouter(trailing_slash="/?")
router.register("cases", CaseViewSet, basename="case")
router.register(
    r"cases/(?P<case_pk>\d+)/interactions", CaseInteractionViewSet, basename="case-interaction"
)
router.register("contacts", ContactViewSet, basename="contact")
router.register("teams", TeamViewSet, basename="team")
router.register("tags", TagViewSet, basename="tag")
router.register("webhooks", WebhookSubscriptionViewSet, basename="webhook")
router.register("business-calendars", BusinessCalendarViewSet, basename="business-calendar")
router.register("sla-policies", SlaPolicyViewSet, basename="sla-policy")
router.register(
    "root-causes/candidates", RootCauseCandidateViewSet, basename="root-cause-candidate"
)
router.register("root-causes/spikes", RootCauseSpikeViewSet, basename="root-cause-spike")
router.register("root-causes", RootCauseViewSet, basename="root-cause")
router.register("surveys", SurveyViewSet, basename="survey")
router.register("problems", ProblemViewSet, basename="problem")

urlpatterns = [
    # Before the router: "report" is no root cause's id.
    re_path(r"^v1/root-causes/report/?$", RootCauseReportView.as_view(), name="root-cause-report"),
    re_path(
        r"^v1/root-causes/dashboard/?$",
        RootCauseDashboardView.as_view(),
        name="root-cause-dashboard",
    ),
    re_path(r"^v1/reports/summary/?$", ReportSummaryView.as_view(), name="report-summary"),
    path("v1/", include(router.urls)),
    re_path(r"^v1/sla/summary/?$", SlaSummaryView.as_view(), name="sla-summary"),
    re_path(r"^v1/surveys/figures/?$", SurveyFiguresView.as_view(), name="survey-figures"),
    re_path(r"^v1/surveys/trends/?$", SurveyTrendsView.as_view(), name="survey-trends"),
    # Channel endpoints for integrations (each app's api_urls.py), under /api/v1/ too.
    path("v1/", include("apps.mail.api_urls")),
    path("v1/", include("apps.chat.api_urls")),
    path("v1/", include("apps.phone.api_urls")),
    path("v1/", include("apps.social.api_urls")),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's start-up script as a file (?script), not inline: the
    # Content-Security-Policy allows no inline script.
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
    # Redoc draws with styled-components, which injects <style> elements and takes no nonce
    # from outside its bundle, and searches in a worker it makes from a blob: this one page
    # may use inline styles and blob: workers (never inline scripts). Its "Powered by" logo,
    # from Redocly's CDN, stays blocked like everything from elsewhere.
    path(
        "redoc/",
        csp_update({"style-src": [UNSAFE_INLINE], "worker-src": [SELF, "blob:"]})(
            SpectacularRedocView.as_view(url_name="api:schema")
        ),
        name="redoc",
    ),
]
