from django.urls import path

from . import views

app_name = "rootcauses"

urlpatterns = [
    path("spikes/", views.spikes_page, name="spikes"),
    path("candidates/", views.candidates_page, name="candidates"),
    path(
        "candidates/<int:candidate_id>/<slug:action>/",
        views.candidate_decide,
        name="candidate-decide",
    ),
    path("report/", views.report_page, name="report"),
    path("report.csv", views.report_csv, name="report-csv"),
    path("dashboard/", views.dashboard_page, name="dashboard"),
    path("dashboard.csv", views.dashboard_csv, name="dashboard-csv"),
    path("dashboard/cases/", views.dashboard_cases, name="dashboard-cases"),
]
