from django.contrib import admin
from django.urls import include, path

from apps.accounts import views as account_views
from apps.core import views as core_views

admin.site.site_header = "cxdesk administration"
admin.site.site_title = "cxdesk admin"

urlpatterns = [
    path("", include("apps.cases.urls")),
    path("", include("apps.macros.urls")),  # the composer's macros and drafts
    path("accounts/", include("apps.accounts.urls")),
    path("notifications/", include("apps.notifications.urls")),
    path("root-causes/", include("apps.rootcauses.urls")),  # spikes, report, candidates
    path("feedback/", include("apps.feedback.urls")),  # surveys (public) and follow-ups
    path("problems/", include("apps.problems.urls")),
    path("console/", include("apps.console.urls")),  # supervisors: monitor, wallboard, workload
    path("chats/", include("apps.chat.console_urls")),  # agents' chat console
    # The admin's sign-in page offers "Forgotten your password?" when this name exists.
    path(
        "admin/password_reset/",
        account_views.PasswordResetView.as_view(),
        name="admin_password_reset",
    ),
    path("admin/", admin.site.urls),
    path("api/", include("apps.api.urls")),
    # Channels: public endpoints of providers and the chat widget (each app's urls.py).
    path("channels/email/", include("apps.mail.urls")),
    path("channels/chat/", include("apps.chat.urls")),
    path("channels/phone/", include("apps.phone.urls")),
    path("channels/social/", include("apps.social.urls")),
    path("healthz", core_views.healthz, name="healthz"),
]

handler400 = "apps.api.errors.bad_request"
handler404 = "apps.api.errors.not_found"
handler500 = "apps.api.errors.server_error"
