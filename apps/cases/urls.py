from django.urls import path

from . import views

urlpatterns = [
    path("", views.queue, name="home"),
    path("cases/<int:case_id>/", views.case_page, name="case-detail"),
]
