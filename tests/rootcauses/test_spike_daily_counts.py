"""selectors.daily_counts, the one read of volume the spike test makes: cases per root cause
per day of TIME_ZONE, only the causes and days asked for, in one query."""

from datetime import UTC, date, datetime, timedelta

import pytest

from apps.cases.models import Case
from apps.rootcauses import selectors
from tests.factories import CaseFactory
from tests.rootcauses.spike_data import aged_cause

pytestmark = pytest.mark.django_db


def case_at(cause, at: datetime, **fields) -> Case:
    return CaseFactory(root_cause=cause, created_at=at, **fields)


def test_cases_count_on_their_day_in_the_configured_time_zone(settings, product_team):
    settings.TIME_ZONE = "Europe/Stockholm"  # UTC+1 in March
    cause = aged_cause("Card arrival", product_team)
    case_at(cause, datetime(2026, 3, 17, 22, 30, tzinfo=UTC))  # 23:30 on the 17th there
    case_at(cause, datetime(2026, 3, 17, 23, 30, tzinfo=UTC))  # 00:30 on the 18th there

    counts = selectors.daily_counts(
        root_cause_ids=[cause.pk], first_day=date(2026, 3, 17), last_day=date(2026, 3, 18)
    )

    assert counts == {cause.pk: {date(2026, 3, 17): 1, date(2026, 3, 18): 1}}


def test_only_the_causes_and_days_asked_for_are_counted(product_team):
    arrival = aged_cause("Card arrival", product_team)
    payment = aged_cause("Card payment", product_team)
    first, last = date(2026, 3, 1), date(2026, 3, 3)
    at = datetime(2026, 3, 2, 12, tzinfo=UTC)
    case_at(arrival, at)
    case_at(arrival, at)
    case_at(payment, at)
    case_at(arrival, datetime(2026, 2, 28, 23, 59, tzinfo=UTC))  # the day before
    case_at(arrival, datetime(2026, 3, 4, 0, 0, tzinfo=UTC))  # the day after
    case_at(arrival, datetime(2026, 3, 3, 23, 59, tzinfo=UTC))  # the last day, included
    CaseFactory(created_at=at)  # no root cause

    counts = selectors.daily_counts(root_cause_ids=[arrival.pk], first_day=first, last_day=last)

    assert counts == {arrival.pk: {date(2026, 3, 2): 2, date(2026, 3, 3): 1}}
    assert selectors.daily_counts(root_cause_ids=[], first_day=first, last_day=last) == {}


def test_a_merged_case_still_counts_as_a_contact(product_team):
    cause = aged_cause("Card arrival", product_team)
    at = datetime(2026, 3, 2, 12, tzinfo=UTC)
    kept = case_at(cause, at)
    case_at(cause, at + timedelta(minutes=5), merged_into=kept)

    counts = selectors.daily_counts(
        root_cause_ids=[cause.pk], first_day=date(2026, 3, 2), last_day=date(2026, 3, 2)
    )

    assert counts == {cause.pk: {date(2026, 3, 2): 2}}


@pytest.mark.parametrize("causes", [1, 6])
def test_one_query_whatever_the_causes_and_days(product_team, causes, django_assert_num_queries):
    ids = []
    for i in range(causes):
        cause = aged_cause(f"Cause {i}", product_team)
        ids.append(cause.pk)
        for day in range(1, 10):
            case_at(cause, datetime(2026, 3, day, 10, tzinfo=UTC))

    with django_assert_num_queries(1):
        counts = selectors.daily_counts(
            root_cause_ids=ids, first_day=date(2026, 3, 1), last_day=date(2026, 3, 29)
        )
    assert sum(len(days) for days in counts.values()) == 9 * causes
