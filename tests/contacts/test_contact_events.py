"""Every change of a contact's identities leaves a ContactEvent, written by the services."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.contacts import services
from apps.contacts.models import ContactEvent

pytestmark = pytest.mark.django_db
Kind = ContactEvent.Kind


def _events(contact):
    return [(e.kind, e.actor, e.before, e.after) for e in contact.events.all()]


def test_a_new_contact_records_its_first_identity_by_the_system():
    contact, _ = services.contact_find_or_create(kind="email", value="Ann@Example.com")
    assert _events(contact) == [
        (Kind.CREATED, None, None, {"kind": "email", "network": "", "value": "ann@example.com"})
    ]
    assert contact.created_by is None


def test_a_contact_created_for_a_user_names_them(agent):
    contact, _ = services.contact_find_or_create(
        kind="social", network="x", value="@AnnLee", actor=agent
    )
    assert _events(contact) == [
        (Kind.CREATED, agent, None, {"kind": "social", "network": "x", "value": "annlee"})
    ]
    assert contact.created_by == agent


def test_finding_a_known_contact_writes_nothing():
    services.contact_find_or_create(kind="email", value="ann@example.com")
    with CaptureQueriesContext(connection) as queries:
        contact, created = services.contact_find_or_create(kind="email", value="ANN@example.com")
    assert not created
    assert len(queries.captured_queries) == 1
    assert contact.events.count() == 1


def test_a_new_contact_costs_one_insert_for_its_event():
    """The email hot path: a new sender costs one INSERT more, no extra read."""
    with CaptureQueriesContext(connection) as queries:
        services.contact_find_or_create(kind="email", value="new@example.com")
    sql = [q["sql"].split()[0].upper() for q in queries.captured_queries]
    assert sql.count("INSERT") == 3  # contact, identity, event
    assert sql.count("SELECT") == 1  # the lookup by identity


def test_identities_added_by_a_channel_or_a_user_are_recorded(agent):
    contact, _ = services.contact_find_or_create(kind="email", value="ann@example.com")
    services.contact_add_identity(contact=contact, kind="chat", value="visitor-1")
    services.contact_add_identity(
        contact=contact, kind="phone", value="(202) 555-0143", actor=agent
    )
    assert _events(contact)[1:] == [
        (Kind.IDENTITY_ADDED, None, None, {"kind": "chat", "network": "", "value": "visitor-1"}),
        (
            Kind.IDENTITY_ADDED,
            agent,
            None,
            {"kind": "phone", "network": "", "value": "+12025550143"},
        ),
    ]


def test_an_identity_the_contact_has_or_someone_else_has_records_nothing(agent):
    ann, _ = services.contact_find_or_create(kind="email", value="ann@example.com")
    bob, _ = services.contact_find_or_create(kind="email", value="bob@example.com")
    services.contact_add_identity(contact=ann, kind="email", value="ANN@example.com", actor=agent)
    with pytest.raises(services.IdentityTaken) as taken:
        services.contact_add_identity(
            contact=bob, kind="email", value="ann@example.com", actor=agent
        )
    assert str(taken.value) == "email:ann@example.com already belongs to another contact"
    assert taken.value.identity.contact == ann  # callers that may see it still can
    assert [e.kind for e in ContactEvent.objects.all()] == [Kind.CREATED, Kind.CREATED]


def test_a_merge_is_recorded_on_both_sides_in_its_transaction():
    source, _ = services.contact_find_or_create(kind="email", value="a@example.com")
    services.contact_add_identity(contact=source, kind="chat", value="v-1")
    target, _ = services.contact_find_or_create(kind="email", value="b@example.com")
    services.contact_merge(source_id=source.pk, target_id=target.pk)
    moved = [
        {"kind": "chat", "network": "", "value": "v-1"},
        {"kind": "email", "network": "", "value": "a@example.com"},
    ]
    assert _events(source)[-1] == (
        Kind.MERGED_INTO,
        None,
        None,
        {"contact_id": target.pk, "identities": moved, "cases": 0},
    )
    assert _events(target)[-1] == (
        Kind.MERGED_FROM,
        None,
        None,
        {"contact_id": source.pk, "identities": moved, "cases": 0},
    )


def test_a_refused_merge_records_nothing():
    a, _ = services.contact_find_or_create(kind="email", value="a@example.com")
    with pytest.raises(services.ContactMergeError):
        services.contact_merge(source_id=a.pk, target_id=a.pk)
    assert [e.kind for e in a.events.all()] == [Kind.CREATED]
