from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from apps.core import views as core_views

admin.site.site_header = "cxdesk administration"
admin.site.site_title = "cxdesk admin"

urlpatterns = [
    path("", include("apps.cases.urls")),
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True),
         name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
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
