from django.urls import path

from . import views

app_name = "console"

urlpatterns = [
    path("", views.monitor_page, name="monitor"),
    path("wallboard/", views.wallboard_page, name="wallboard"),
    path("workload/", views.workload_page, name="workload"),
    path("cases/<int:case_id>/assign/", views.case_assign, name="case-assign"),
    path("cases/<int:case_id>/priority/", views.case_priority, name="case-priority"),
    path("agents/<int:user_id>/capacity/", views.agent_capacity, name="agent-capacity"),
    path("reports/", views.reports_page, name="reports"),
    path("reports.csv", views.reports_csv, name="reports-csv"),
]
