"""Who sees which macro: shared ones everyone, a team's its members (every team's an admin),
a personal one its owner alone; inactive ones nobody."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import IntegrityError

from apps.macros import selectors
from apps.macros.models import Macro
from tests.factories import AgentFactory
from tests.macros.factories import MacroFactory

pytestmark = pytest.mark.django_db
Scope = Macro.Scope


@pytest.fixture
def macros(team, other_team, agent):
    colleague = AgentFactory(teams=[team])
    return {
        "shared": MacroFactory(title="Shared"),
        "billing": MacroFactory(title="Billing", scope=Scope.TEAM, team=team),
        "logistics": MacroFactory(title="Logistics", scope=Scope.TEAM, team=other_team),
        "mine": MacroFactory(title="Mine", scope=Scope.PERSONAL, owner=agent),
        "theirs": MacroFactory(title="Theirs", scope=Scope.PERSONAL, owner=colleague),
        "inactive": MacroFactory(title="Old", is_active=False),
    }


def titles(user):
    return [m.title for m in selectors.macros_for(user=user)]


def test_an_agent_sees_shared_their_teams_and_their_own(agent, macros):
    assert titles(agent) == ["Shared", "Billing", "Mine"]  # shared, team, personal


def test_an_agent_of_another_team_sees_that_teams_macros_only(other_team, macros):
    stranger = AgentFactory(teams=[other_team])
    assert titles(stranger) == ["Shared", "Logistics"]


def test_a_supervisor_sees_their_teams_not_others_personal(supervisor, macros):
    assert titles(supervisor) == ["Shared", "Billing"]


def test_an_admin_sees_every_team_but_not_others_personal(admin_user, macros):
    assert titles(admin_user) == ["Shared", "Billing", "Logistics"]


def test_nobody_signed_out_sees_any(macros):
    assert list(Macro.objects.visible_to(AnonymousUser())) == []


def test_macro_visible_refuses_another_teams_and_bad_ids(agent, macros):
    assert selectors.macro_visible(user=agent, macro_id=macros["billing"].pk).title == "Billing"
    for refused in (macros["logistics"].pk, macros["theirs"].pk, macros["inactive"].pk, 0, 2**70):
        with pytest.raises(Macro.DoesNotExist):
            selectors.macro_visible(user=agent, macro_id=refused)


@pytest.mark.parametrize(
    "fields",
    [
        {"scope": Scope.TEAM},  # a team macro without its team
        {"scope": Scope.PERSONAL},  # a personal one without an owner
        {"scope": Scope.SHARED, "team": "team"},  # a shared one with a team
    ],
)
def test_the_scope_must_match_team_and_owner(team, fields):
    values = {**fields}
    if values.get("team") == "team":
        values["team"] = team
    with pytest.raises(IntegrityError):
        Macro.objects.create(title="x", **values)
