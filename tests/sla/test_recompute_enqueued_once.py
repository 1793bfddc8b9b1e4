"""A transaction that writes a case many times enqueues its recompute once, after commit;
one that rolls back enqueues nothing."""

import pytest
from django.db import transaction

from apps.cases import services as case_services
from apps.sla import services
from tests.factories import CaseFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def enqueued(monkeypatch):
    sent: list[list[int]] = []
    monkeypatch.setattr(services, "enqueue_each", lambda name, ids: sent.append(list(ids)))
    return sent


def test_many_writes_in_one_transaction_enqueue_each_case_once(
    enqueued, django_capture_on_commit_callbacks
):
    first, second = CaseFactory(), CaseFactory()
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        for priority in ("high", "low", "urgent"):
            case_services.case_set_priority(case_id=first.pk, priority=priority)
        case_services.case_set_tags(case_id=second.pk, tags=["refund"])
        case_services.case_set_priority(case_id=second.pk, priority="high")

    assert enqueued == [sorted([first.pk, second.pk])]


@transaction.atomic
def _write_then_fail(case_id: int) -> None:
    case_services.case_set_priority(case_id=case_id, priority="high")
    raise RuntimeError("the write fails after announcing")


def test_a_rolled_back_write_enqueues_nothing_and_the_next_one_does(
    enqueued, django_capture_on_commit_callbacks
):
    case = CaseFactory()
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RuntimeError):
            _write_then_fail(case.pk)
        assert enqueued == []
        case_services.case_set_priority(case_id=case.pk, priority="low")

    assert enqueued == [[case.pk]]
