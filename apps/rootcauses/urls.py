from django.urls import path

from . import views

app_name = "rootcauses"

urlpatterns = [
    path("spikes/", views.spikes_page, name="spikes"),
]
