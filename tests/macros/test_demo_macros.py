"""`make demo` has macros: shared, each team's and a personal one, with placeholders that
exist, loaded once, and each one usable by the demo agent who sees it."""

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import transaction

from apps.cases.models import Case
from apps.macros import selectors, services
from apps.macros.models import Macro
from apps.macros.placeholders import unknown_in
from tests.factories import CaseFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo():
    call_command("demo_data", "--cases", "40", stdout=StringIO())


def test_the_demo_has_macros_of_every_scope_with_known_placeholders(demo):
    macros = list(Macro.objects.all())
    assert len(macros) >= 8
    assert {m.scope for m in macros} == {"shared", "team", "personal"}
    assert all(unknown_in(m.body) == [] for m in macros)
    assert any(m.has_actions() for m in macros)


def test_loading_again_makes_no_second_copy(demo):
    before = Macro.objects.count()
    call_command("demo_data", "--cases", "40", stdout=StringIO())
    assert Macro.objects.count() == before


def test_each_macro_the_demo_agent_sees_applies_on_their_case(demo):
    alex = get_user_model().objects.get(username="alex.agent")
    # Any case of theirs still workable: which statuses a 40-case load holds moves with the
    # day it runs (its cases are dated back from now and closed after the auto-close delay).
    case = (
        Case.objects.filter(team__members=alex).exclude(status="closed").order_by("pk").first()
    ) or CaseFactory(team=alex.teams.first(), status="open")
    visible = selectors.macros_for(user=alex)
    assert {m.scope for m in visible} == {"shared", "team"}
    for macro in visible:
        with transaction.atomic():
            services.macro_apply(macro_id=macro.pk, case_id=case.pk, actor=alex)
            transaction.set_rollback(True)
