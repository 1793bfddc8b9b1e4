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
    # --- casepage: the case page's actions (issue 10) ---
    path("cases/<int:case_id>/fields/<slug:field>/", views.case_field, name="case-field"),
    path("cases/<int:case_id>/compose/", views.case_compose, name="case-compose"),
    path("cases/<int:case_id>/history/", views.case_history, name="case-history"),
    path("contacts/<int:contact_id>/", views.contact_page, name="contact-detail"),
    # --- end casepage ---
]
