from django.urls import path

from . import views

urlpatterns = [
    path("", views.queue, name="home"),
    path("cases/<int:case_id>/", views.case_page, name="case-detail"),
    path(
        "cases/<int:case_id>/attachments/<int:attachment_id>/",
        views.attachment_download,
        name="case-attachment",
    ),
]
