import pytest

from apps.cases import services
from apps.cases.models import Case, CaseEvent
from tests.factories import CaseFactory, InteractionFactory

pytestmark = pytest.mark.django_db
Status = Case.Status


def test_merging_moves_the_conversation_and_closes_the_duplicate(agent):
    target = CaseFactory(status=Status.OPEN)
    source = CaseFactory(status=Status.NEW, requester=target.requester)
    InteractionFactory(case=target)
    InteractionFactory.create_batch(2, case=source)
    services.case_set_tags(case_id=source.pk, tags=["refund"], actor=agent)
    services.case_set_tags(case_id=target.pk, tags=["billing"], actor=agent)

    result = services.case_merge(source_id=source.pk, target_id=target.pk, actor=agent)

    source.refresh_from_db()
    assert result == target
    assert target.interactions.count() == 3
    assert source.interactions.count() == 0
    assert set(target.tags.values_list("name", flat=True)) == {"billing", "refund"}
    assert (source.status, source.merged_into) == (Status.CLOSED, target)
    assert source.closed_at is not None
    assert source.events.get(kind=CaseEvent.Kind.MERGED_INTO).after["case_id"] == target.pk
    merged_from = target.events.get(kind=CaseEvent.Kind.MERGED_FROM)
    assert (merged_from.after["case_id"], merged_from.after["interactions"]) == (source.pk, 2)
    assert merged_from.actor == agent


def test_merging_keeps_the_earliest_first_response(agent):
    target = CaseFactory(status=Status.OPEN)
    source = CaseFactory(status=Status.OPEN)
    services.case_reply(case_id=source.pk, agent=agent, body_text="On it")
    services.case_merge(source_id=source.pk, target_id=target.pk, actor=agent)
    target.refresh_from_db()
    source.refresh_from_db()
    assert target.first_response_at == source.first_response_at is not None


def test_merging_an_open_case_into_a_solved_one_reopens_it(agent):
    target = CaseFactory(status=Status.SOLVED)
    source = CaseFactory(status=Status.OPEN)
    services.case_merge(source_id=source.pk, target_id=target.pk, actor=agent)
    target.refresh_from_db()
    assert target.status == Status.OPEN
    assert target.reopen_count == 1


@pytest.mark.parametrize(
    ("source_status", "target_status", "message"),
    [
        (Status.OPEN, Status.CLOSED, "is closed; merge into an open case"),
        (Status.CLOSED, Status.OPEN, "is closed"),
    ],
)
def test_closed_cases_cannot_be_merged(source_status, target_status, message, agent):
    source, target = CaseFactory(status=source_status), CaseFactory(status=target_status)
    with pytest.raises(services.MergeError, match=message):
        services.case_merge(source_id=source.pk, target_id=target.pk, actor=agent)
    assert not CaseEvent.objects.exists()


def test_a_case_cannot_be_merged_into_itself_or_twice(agent):
    a, b, c = CaseFactory(), CaseFactory(), CaseFactory()
    with pytest.raises(services.MergeError, match="into itself"):
        services.case_merge(source_id=a.pk, target_id=a.pk, actor=agent)
    services.case_merge(source_id=a.pk, target_id=b.pk, actor=agent)
    with pytest.raises(services.MergeError):
        services.case_merge(source_id=a.pk, target_id=c.pk, actor=agent)
    with pytest.raises(services.MergeError, match="must exist"):
        services.case_merge(source_id=b.pk, target_id=999_999, actor=agent)


def test_a_reply_to_a_merged_case_lands_in_the_case_it_was_merged_into(agent):
    target, source = CaseFactory(status=Status.OPEN), CaseFactory(status=Status.OPEN)
    services.case_merge(source_id=source.pk, target_id=target.pk, actor=agent)
    interaction = services.interaction_add(
        case_id=source.pk,
        channel="email",
        direction="in",
        author_contact=source.requester,
        body_text="Any news?",
    )
    assert interaction.case == target
    assert Case.objects.count() == 2
