from django.urls import path

from . import views, views_presence, views_queue, views_search

urlpatterns = [
    # --- queues ---
    path("", views_queue.queue, name="home"),
    path("queue/counts/", views_queue.queue_counts, name="queue-counts"),
    path("queue/bulk/", views_queue.queue_bulk, name="queue-bulk"),
    path("queue/views/", views_queue.saved_view_create, name="queue-view-create"),
    path(
        "queue/views/<int:view_id>/delete/",
        views_queue.saved_view_delete,
        name="queue-view-delete",
    ),
    # --- end queues ---
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
    # --- presence: who else is on the case (collision detection) ---
    path("cases/<int:case_id>/presence/", views_presence.case_presence, name="case-presence"),
    # --- end presence ---
]
