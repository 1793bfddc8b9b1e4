from django.urls import path

from . import views

app_name = "notifications"

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("read/", views.mark_read, name="mark-read"),
    path("count/", views.unread_badge, name="count"),
    path("<int:notification_id>/open/", views.open_notification, name="open"),
]
