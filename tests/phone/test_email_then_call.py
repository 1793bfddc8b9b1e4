"""The same person writing by email, then calling from a number on file: one contact."""

import pytest

from apps.cases import services as case_services
from apps.contacts import selectors
from apps.contacts import services as contact_services
from apps.contacts.models import Contact
from apps.phone.models import Call

from .conftest import twilio_params

pytestmark = pytest.mark.django_db


def test_a_call_from_a_number_on_file_is_the_email_writers_contact(twilio_post, agent):
    # given: Ann wrote by email (a case, since solved) and her number is on file
    ann, _ = contact_services.contact_find_or_create(
        kind="email", value="ann@example.com", name="Ann Lee"
    )
    email_case = case_services.case_open(
        requester=ann, subject="Refund", channel="email", body_text="Where is my refund?"
    ).case
    case_services.case_transition(case_id=email_case.pk, to="solved", actor=agent)
    contact_services.contact_add_identity(contact=ann, kind="phone", value="+1 (202) 555-0143")

    # when: she calls, her number written another way
    response = twilio_post(twilio_params(status="ringing", from_="202.555.0143"))

    # then: one contact, both cases listed together
    assert response.status_code == 201, response.content
    call = Call.objects.get()
    assert call.contact == ann
    assert Contact.objects.count() == 1
    assert set(selectors.contact_cases(contact=ann)) == {email_case, call.case}
    assert call.case.channel == "phone"
    email_case.refresh_from_db()
    assert email_case.status == "solved"  # a call opens a new case, it does not reopen


def test_a_call_while_the_email_case_is_open_joins_it(twilio_post):
    ann, _ = contact_services.contact_find_or_create(kind="email", value="ann@example.com")
    email_case = case_services.case_open(
        requester=ann, subject="Refund", channel="email", body_text="Where is my refund?"
    ).case
    contact_services.contact_add_identity(contact=ann, kind="phone", value="+12025550143")

    twilio_post(twilio_params(status="ringing", from_="(202) 555-0143"))

    call = Call.objects.get()
    assert call.case == email_case
    assert [i.channel for i in email_case.interactions.order_by("pk")] == ["email", "phone"]
