"""The agents' chat console, mounted at /chats/ (views_console.py)."""

from django.urls import path

from . import views_console as views

urlpatterns = [
    path("", views.console, name="chat-console"),
    path("panel/", views.console_panel, name="chat-console-panel"),
    path("badge/", views.console_badge, name="chat-console-badge"),
    path("<int:session_id>/take/", views.take, name="chat-take"),
    path("<int:session_id>/messages/", views.chat_messages, name="chat-live-messages"),
    path("<int:session_id>/end/", views.end, name="chat-agent-end"),
]
