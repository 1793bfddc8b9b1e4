from django.urls import path

from . import views

app_name = "problems"

urlpatterns = [
    path("", views.problem_list, name="list"),
    path("new/", views.problem_create, name="create"),
    path("bulk/", views.bulk_link, name="bulk-link"),
    path("<int:problem_id>/", views.problem_detail, name="detail"),
    path("<int:problem_id>/edit/", views.problem_edit, name="edit"),
    path("<int:problem_id>/status/", views.problem_status, name="status"),
    path("<int:problem_id>/answer/", views.problem_answer, name="answer"),
    path("<int:problem_id>/answer/retry/", views.problem_answer_retry, name="answer-retry"),
    path("<int:problem_id>/progress/", views.problem_progress, name="progress"),
    path("<int:problem_id>/cases/<int:case_id>/unlink/", views.problem_unlink, name="unlink"),
    path("case/<int:case_id>/", views.case_panel, name="case-panel"),
    path("case/<int:case_id>/link/", views.case_link, name="case-link"),
]
