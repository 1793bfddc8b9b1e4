from django.urls import path

from . import views

app_name = "feedback"

urlpatterns = [
    path("follow-ups/", views.follow_ups_page, name="follow-ups"),
    path("at-risk/", views.at_risk_page, name="at-risk"),
    path("figures/", views.figures_page, name="figures"),
    path("case/<int:case_id>/", views.case_panel, name="case-panel"),
    path("follow-ups/<int:follow_up_id>/", views.follow_up_advance, name="follow-up-advance"),
    # Public: the customer's pages, behind a signed token (apps/feedback/links.py).
    path("s/<str:token>/", views.survey_page, name="survey"),
    path("s/<str:token>/opt-out/", views.opt_out_page, name="opt-out"),
]
