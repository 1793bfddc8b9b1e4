import pytest

from apps.cases import services
from apps.cases.models import CaseEvent
from tests.factories import CaseFactory

pytestmark = pytest.mark.django_db


def test_a_subject_change_is_trimmed_and_recorded(agent):
    case = CaseFactory(subject="Old")
    services.case_set_subject(case_id=case.pk, subject="  New subject  ", actor=agent)
    case.refresh_from_db()
    assert case.subject == "New subject"
    event = case.events.get(kind=CaseEvent.Kind.SUBJECT)
    assert (event.before, event.after, event.actor) == ("Old", "New subject", agent)


@pytest.mark.parametrize("subject", ["", "   ", None])
def test_a_blank_subject_is_refused(agent, subject):
    case = CaseFactory(subject="Keep")
    with pytest.raises(services.CaseError, match="needs a subject"):
        services.case_set_subject(case_id=case.pk, subject=subject, actor=agent)
    case.refresh_from_db()
    assert case.subject == "Keep"
    assert not case.events.exists()


def test_custom_fields_merge_and_a_null_removes_a_field(agent):
    case = CaseFactory(custom_fields={"order": "A-1", "plan": "pro"})
    services.case_set_custom_fields(
        case_id=case.pk, values={"order": "A-2", "plan": None, "region": "eu"}, actor=agent
    )
    case.refresh_from_db()
    assert case.custom_fields == {"order": "A-2", "region": "eu"}
    event = case.events.get(kind=CaseEvent.Kind.CUSTOM_FIELDS)
    assert event.before == {"order": "A-1", "plan": "pro", "region": None}
    assert event.after == {"order": "A-2", "plan": None, "region": "eu"}


def test_setting_the_same_values_records_nothing(agent):
    case = CaseFactory(subject="Same", priority="high", custom_fields={"a": 1})
    services.case_set_subject(case_id=case.pk, subject="Same", actor=agent)
    services.case_set_priority(case_id=case.pk, priority="high", actor=agent)
    services.case_set_custom_fields(case_id=case.pk, values={"a": 1}, actor=agent)
    assert not case.events.exists()
