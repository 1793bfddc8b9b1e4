from django.urls import path

from . import views

app_name = "rootcauses"

urlpatterns = [
    path("spikes/", views.spikes_page, name="spikes"),
    path("report/", views.report_page, name="report"),
    path("report.csv", views.report_csv, name="report-csv"),
]
