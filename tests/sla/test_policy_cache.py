"""The active policies are kept per process while their version holds: one query to check,
and a change made by another process (no signal here) is seen at the next recompute."""

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.sla import services
from apps.sla.models import SlaPolicy, SlaTarget
from tests.factories import CaseFactory, SlaPolicyFactory

pytestmark = pytest.mark.django_db


def test_a_cached_read_costs_one_query(django_assert_num_queries):
    SlaPolicyFactory(targets={("normal", "first_response"): 60})
    services.active_policies()
    with django_assert_num_queries(1):
        [policy] = services.active_policies()
    assert [t.minutes for t in policy.targets.all()] == [60]


def test_another_process_changing_a_policy_is_seen(django_assert_num_queries):
    policy = SlaPolicyFactory(targets={("normal", "first_response"): 60})
    case = CaseFactory()
    assert services.case_sla_recompute(case_id=case.pk)[0].target_minutes == 60

    # What another process's policy_save writes, without this process's signals:
    SlaTarget.objects.filter(policy=policy).update(minutes=15)
    SlaPolicy.objects.filter(pk=policy.pk).update(updated_at=timezone.now() + timedelta(seconds=1))

    assert services.case_sla_recompute(case_id=case.pk)[0].target_minutes == 15


def test_a_policy_saved_in_this_process_is_seen_at_once():
    policy = SlaPolicyFactory(targets={("normal", "first_response"): 60})
    case = CaseFactory()
    services.case_sla_recompute(case_id=case.pk)

    services.policy_save(
        policy_id=policy.pk,
        targets=[{"priority": "normal", "metric": "first_response", "minutes": 5}],
    )

    assert services.case_sla_recompute(case_id=case.pk)[0].target_minutes == 5
