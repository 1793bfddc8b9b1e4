"""The picker and the draft cost the case page the same queries for one macro or forty
(shared, team and personal), with a staged macro in the draft or without."""

import pytest
from django.urls import reverse

from apps.macros.models import ComposerDraft, Macro
from tests.factories import CaseFactory, EmailIdentityFactory, InteractionFactory
from tests.macros.factories import MacroFactory

pytestmark = pytest.mark.django_db


def test_the_number_of_macros_does_not_change_the_queries(
    client, agent, team, django_assert_max_num_queries
):
    case = CaseFactory(team=team, assignee=agent, requester=EmailIdentityFactory().contact)
    InteractionFactory(case=case)
    first = MacroFactory(title="First", set_team=team, set_priority="high")
    ComposerDraft.objects.create(agent=agent, case=case, body="draft", macro=first)
    client.force_login(agent)
    path = reverse("case-detail", args=[case.pk])
    with django_assert_max_num_queries(40) as few:
        response = client.get(path)
    assert response.status_code == 200
    assert response.context["staged"].macro == first
    for _i in range(13):
        MacroFactory(set_team=team, add_tags="a, b")
        MacroFactory(scope=Macro.Scope.TEAM, team=team, set_team=team)
        MacroFactory(scope=Macro.Scope.PERSONAL, owner=agent)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(path)
    assert len(response.context["macros"]) == 40
    assert response.content.decode().count("<option value=") >= 40
