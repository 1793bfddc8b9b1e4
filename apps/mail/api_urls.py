"""Email endpoints of the REST API (included under /api/v1/)."""

from django.urls import re_path

from .api import InboundEmailUploadView

urlpatterns = [
    re_path(r"^inbound/email/?$", InboundEmailUploadView.as_view(), name="inbound-email"),
]
