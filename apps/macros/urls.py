from django.urls import path

from . import views

urlpatterns = [
    path(
        "cases/<int:case_id>/compose/macro/",
        views.case_macro_apply,
        name="case-compose-macro",
    ),
    path(
        "cases/<int:case_id>/compose/draft/",
        views.case_draft_save,
        name="case-compose-draft",
    ),
]
