from django.urls import path

from . import views, views_search

urlpatterns = [
    path("", views.queue, name="home"),
    path("cases/<int:case_id>/", views.case_page, name="case-detail"),
    path(
        "cases/<int:case_id>/attachments/<int:attachment_id>/",
        views.attachment_download,
        name="case-attachment",
    ),
    # --- search ---
    path("search/", views_search.case_search, name="case-search"),
    # --- end search ---
]
