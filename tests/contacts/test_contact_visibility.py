"""ContactQuerySet.visible_to: the one rule for who sees (and may change) a contact."""

import pytest

from apps.contacts.models import Contact
from tests.factories import AgentFactory, CaseFactory, ContactFactory, SupervisorFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def contacts(team, other_team, agent):
    ours, theirs, assigned, shared = (
        ContactFactory(name=n) for n in ("ours", "theirs", "assigned", "shared")
    )
    CaseFactory(team=team, requester=ours)
    CaseFactory(team=other_team, requester=theirs)
    CaseFactory(team=other_team, requester=assigned, assignee=agent)
    CaseFactory(team=other_team, requester=shared)
    CaseFactory(team=team, requester=shared)
    ContactFactory(name="caseless")
    return Contact.objects.all()


def _names(user):
    return set(Contact.objects.visible_to(user).values_list("name", flat=True))


@pytest.mark.parametrize("factory", [AgentFactory, SupervisorFactory])
def test_a_contact_is_seen_through_one_of_its_cases(factory, team, contacts, agent):
    member = factory(teams=[team])
    assert _names(member) == {"ours", "shared"}
    assert _names(agent) == {"ours", "shared", "assigned"}  # a case assigned to them


def test_an_admin_sees_every_contact(admin_user, contacts):
    assert _names(admin_user) == {"ours", "theirs", "assigned", "shared", "caseless"}


def test_a_user_of_no_team_sees_no_contact(contacts):
    assert _names(AgentFactory()) == set()


def test_signed_out_and_deactivated_users_see_nothing(contacts, agent):
    from django.contrib.auth.models import AnonymousUser

    assert _names(AnonymousUser()) == set()
    ContactFactory(name="own", created_by=agent)
    agent.is_active = False
    assert _names(agent) == set()


def test_a_caseless_contact_is_seen_by_its_creator_until_it_has_a_case(agent, other_team):
    own = ContactFactory(name="own", created_by=agent)
    assert _names(agent) == {"own"}
    assert _names(AgentFactory(teams=[other_team])) == set()
    CaseFactory(team=other_team, requester=own)
    assert _names(agent) == set()


def test_the_rule_is_one_query_with_a_subquery(agent, contacts, django_assert_num_queries):
    visible = Contact.objects.visible_to(agent)
    assert "EXISTS" in str(visible.query).upper()
    with django_assert_num_queries(1):
        assert len(list(visible)) == 3
