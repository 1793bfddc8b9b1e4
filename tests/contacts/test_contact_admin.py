"""The contact's admin page: identities removed through the service (audited, never the last),
the audit trail read-only, and merges by an action that asks which contact to keep."""

import pytest
from django.urls import reverse

from apps.cases.models import CaseEvent
from apps.contacts import services
from apps.contacts.models import Contact, ContactEvent
from tests.factories import CaseFactory

pytestmark = pytest.mark.django_db
LIST_URL = reverse("admin:contacts_contact_changelist")


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.fixture
def ann(db):
    contact, _ = services.contact_find_or_create(kind="email", value="ann@example.com", name="Ann")
    services.contact_add_identity(contact=contact, kind="phone", value="+12025550143")
    return contact


def _change_url(contact):
    return reverse("admin:contacts_contact_change", args=[contact.pk])


def _form_data(response) -> dict:
    """What the browser would post back from the change page, unchanged."""
    data = {}
    forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        forms += [formset.management_form, *formset.forms]
    for form in forms:
        for field in form:
            value = field.value()
            if value not in (None, False):
                data[field.html_name] = value
    return data


def _delete(data, index):
    return {**data, f"identities-{index}-DELETE": "on"}


def test_the_contact_page_shows_its_audit_trail_read_only(
    admin_client, ann, django_assert_max_num_queries
):
    for n in range(20):
        services.contact_add_identity(contact=ann, kind="chat", value=f"visitor-{n}")
    with django_assert_max_num_queries(20):
        response = admin_client.get(_change_url(ann))
    assert response.status_code == 200
    content = response.content.decode()
    assert "Identity added" in content
    assert "Created" in content
    events = reverse("admin:contacts_contactevent_change", args=[ann.events.first().pk])
    assert admin_client.post(events, {"kind": "merged_into"}).status_code == 403
    delete = reverse("admin:contacts_contactevent_delete", args=[ann.events.first().pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
    with django_assert_max_num_queries(15):
        listed = admin_client.get(reverse("admin:contacts_contactevent_changelist"))
    assert listed.status_code == 200


def test_an_identity_is_removed_on_the_contact_page_and_audited(admin_client, ann, admin_user):
    data = _form_data(admin_client.get(_change_url(ann)))
    phone_index = next(
        i for i in range(2) if data[f"identities-{i}-id"] == ann.identities.get(kind="phone").pk
    )
    response = admin_client.post(_change_url(ann), _delete(data, phone_index))
    assert response.status_code == 302, response.context and response.context["errors"]
    assert list(ann.identities.values_list("kind", flat=True)) == ["email"]
    event = ann.events.latest("id")
    assert (event.kind, event.actor, event.before["value"]) == (
        ContactEvent.Kind.IDENTITY_REMOVED,
        admin_user,
        "+12025550143",
    )


def test_the_last_identity_cannot_be_removed_on_the_contact_page(admin_client, ann):
    data = _form_data(admin_client.get(_change_url(ann)))
    response = admin_client.post(_change_url(ann), _delete(_delete(data, 0), 1))
    assert response.status_code == 200  # the form again, with the error
    assert "at least one identity" in response.content.decode()
    assert ann.identities.count() == 2
    assert not ann.events.filter(kind=ContactEvent.Kind.IDENTITY_REMOVED).exists()


def test_a_contact_is_not_deleted_with_its_identities_and_audit_trail(admin_client, ann):
    delete = reverse("admin:contacts_contact_delete", args=[ann.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
    assert ann.identities.exists()
    assert ann.events.exists()
    listing = admin_client.get(LIST_URL).content.decode()
    assert 'value="delete_selected"' not in listing


def test_identities_are_not_deleted_from_their_own_list(admin_client, ann):
    identity = ann.identities.first()
    delete = reverse("admin:contacts_contactidentity_delete", args=[identity.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
    assert ann.identities.count() == 2


def test_merged_into_cannot_be_set_by_hand(admin_client, ann):
    other, _ = services.contact_find_or_create(kind="email", value="bob@example.com")
    data = _form_data(admin_client.get(_change_url(ann)))
    admin_client.post(_change_url(ann), {**data, "merged_into": other.pk})
    ann.refresh_from_db()
    assert ann.merged_into is None


def test_the_merge_action_asks_which_contact_to_keep(admin_client, ann):
    bob, _ = services.contact_find_or_create(kind="email", value="bob@example.com")
    response = admin_client.post(
        LIST_URL, {"action": "merge_selected", "_selected_action": [ann.pk, bob.pk]}
    )
    assert response.status_code == 200
    content = response.content.decode()
    assert 'name="into"' in content
    assert "ann@example.com" in content
    assert "bob@example.com" in content
    assert not Contact.objects.filter(merged_into__isnull=False).exists()


def test_the_merge_action_merges_into_the_chosen_contact(admin_client, ann, admin_user):
    bob, _ = services.contact_find_or_create(kind="email", value="bob@example.com")
    case = CaseFactory(requester=ann)
    response = admin_client.post(
        LIST_URL,
        {
            "action": "merge_selected",
            "post": "yes",
            "into": bob.pk,
            "_selected_action": [ann.pk, bob.pk],
        },
        follow=True,
    )
    assert "Merged 1 contact(s) into" in response.content.decode()
    ann.refresh_from_db()
    case.refresh_from_db()
    assert ann.merged_into == bob
    assert case.requester == bob
    assert bob.identities.count() == 3
    assert bob.events.get(kind=ContactEvent.Kind.MERGED_FROM).actor == admin_user
    assert case.events.get(kind=CaseEvent.Kind.REQUESTER).actor == admin_user


def test_the_merge_action_needs_two_unmerged_contacts(admin_client, ann):
    bob, _ = services.contact_find_or_create(kind="email", value="bob@example.com")
    services.contact_merge(source_id=bob.pk, target_id=ann.pk)
    response = admin_client.post(
        LIST_URL,
        {
            "action": "merge_selected",
            "post": "yes",
            "into": ann.pk,
            "_selected_action": [ann.pk, bob.pk],
        },
        follow=True,
    )
    assert "Select between 2 and" in response.content.decode()
    assert not ann.events.filter(kind=ContactEvent.Kind.MERGED_INTO).exists()


def test_the_merge_action_without_a_choice_asks_again(admin_client, ann):
    bob, _ = services.contact_find_or_create(kind="email", value="bob@example.com")
    response = admin_client.post(
        LIST_URL, {"action": "merge_selected", "post": "yes", "_selected_action": [ann.pk, bob.pk]}
    )
    assert response.status_code == 200
    assert "Choose the contact to keep." in response.content.decode()
    assert not Contact.objects.filter(merged_into__isnull=False).exists()
