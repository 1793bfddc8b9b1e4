from django.urls import path

from . import views

app_name = "phone"

urlpatterns = [
    # Twilio's voice status callback (signed; see apps/phone/twilio_callbacks.py).
    path("twilio/status/", views.twilio_status, name="twilio-status"),
    # Log a call by hand from the case page.
    path("cases/<int:case_id>/log-call/", views.log_call, name="log-call"),
]
