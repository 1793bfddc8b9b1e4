"""Provider webhooks of the social channel, mounted at /channels/social/ (see views.py)."""

from django.urls import re_path

from . import views

app_name = "social"

urlpatterns = [
    # With or without the trailing slash: providers are configured by hand.
    re_path(r"^meta/webhook/?$", views.meta_webhook, name="meta-webhook"),
    re_path(r"^x/webhook/?$", views.x_webhook, name="x-webhook"),
]
