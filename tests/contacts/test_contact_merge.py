import pytest

from apps.cases import services as case_services
from apps.cases.models import CaseEvent
from apps.contacts import services
from apps.contacts.models import Contact, ContactIdentity

pytestmark = pytest.mark.django_db


def test_merging_two_contacts_moves_identities_cases_and_messages(agent):
    by_mail, _ = services.contact_find_or_create(
        kind="email", value="ann@example.com", name="Ann Lee"
    )
    by_phone, _ = services.contact_find_or_create(kind="phone", value="+12025550143")
    mail_case = case_services.case_open(
        requester=by_mail, subject="Refund", channel="email", body_text="Refund please"
    ).case
    call_case = case_services.case_open(
        requester=by_phone, subject="Call", channel="phone", body_text="Called about refund"
    ).case

    merged = services.contact_merge(source_id=by_phone.pk, target_id=by_mail.pk, actor=agent)

    by_phone.refresh_from_db()
    call_case.refresh_from_db()
    assert merged == by_mail
    assert by_phone.merged_into == by_mail
    assert not by_phone.identities.exists()
    assert set(by_mail.identities.values_list("kind", flat=True)) == {"email", "phone"}
    assert call_case.requester == by_mail
    assert call_case.interactions.get().author_contact == by_mail
    event = call_case.events.get(kind=CaseEvent.Kind.REQUESTER)
    assert event.before["contact_id"] == by_phone.pk
    assert event.after == {"contact_id": by_mail.pk}
    assert event.actor == agent
    assert not mail_case.events.filter(kind=CaseEvent.Kind.REQUESTER).exists()
    # the phone number now finds the merged contact
    found, created = services.contact_find_or_create(kind="phone", value="202-555-0143")
    assert found == by_mail
    assert not created


def test_merge_fills_a_missing_name():
    target, _ = services.contact_find_or_create(kind="email", value="a@example.com")
    source, _ = services.contact_find_or_create(
        kind="email", value="b@example.com", name="Bea Ortiz"
    )
    services.contact_merge(source_id=source.pk, target_id=target.pk)
    target.refresh_from_db()
    assert target.name == "Bea Ortiz"


def test_bad_merges_are_refused():
    a, _ = services.contact_find_or_create(kind="email", value="a@example.com")
    b, _ = services.contact_find_or_create(kind="email", value="b@example.com")
    with pytest.raises(services.ContactMergeError, match="itself"):
        services.contact_merge(source_id=a.pk, target_id=a.pk)
    with pytest.raises(services.ContactMergeError, match="must exist"):
        services.contact_merge(source_id=a.pk, target_id=123456)
    services.contact_merge(source_id=a.pk, target_id=b.pk)
    with pytest.raises(services.ContactMergeError, match="merged already"):
        services.contact_merge(source_id=a.pk, target_id=b.pk)
    assert Contact.objects.count() == 2
    assert ContactIdentity.objects.filter(contact=b).count() == 2
