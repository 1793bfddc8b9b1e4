from django.urls import path

from . import views

app_name = "chat"

urlpatterns = [
    path("widgets/<str:widget_key>/", views.ChatWidgetView.as_view(), name="widget"),
    path("widgets/<str:widget_key>/sessions/", views.ChatStartView.as_view(), name="start"),
    path("sessions/<int:session_id>/messages/", views.ChatMessagesView.as_view(), name="messages"),
    path("sessions/<int:session_id>/end/", views.ChatEndView.as_view(), name="end"),
    path("demo/<str:widget_key>/", views.demo, name="demo"),
    # The confirmation link mailed to an email a visitor typed (public), and agents' button.
    path("confirm/<str:token>/", views.confirm_claim, name="confirm-claim"),
    path(
        "sessions/<int:session_id>/confirm-claim/",
        views.agent_confirm_claim,
        name="agent-confirm-claim",
    ),
]
