"""`manage.py demo_data` has a believable survey history: sent after solves, some answered,
mostly good, bad ones with their follow-ups — and nothing of it sent again."""

from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from apps.feedback.models import FollowUp, Survey

pytestmark = pytest.mark.django_db


def test_the_demo_has_answers_and_follow_ups():
    call_command("demo_data", stdout=StringIO())
    now = timezone.now()
    answered = Survey.objects.filter(state="answered")
    assert answered.count() >= 20
    good = answered.filter(satisfied=True).count()
    assert 0.6 < good / answered.count() < 0.97
    assert answered.exclude(comment="").exists()
    assert answered.filter(effort__isnull=False).exists()
    assert Survey.objects.filter(state="suppressed").exists()
    assert not Survey.objects.filter(sent_at__gt=now).exists()
    assert not answered.filter(answered_at__gt=now).exists()
    bad = answered.filter(satisfied=False)
    assert FollowUp.objects.count() == bad.count() > 0
    assert FollowUp.objects.filter(state="resolved").exists()
    assert FollowUp.objects.filter(state="open").exists()
    # Nothing of the history waits to be sent: the due ones are recent solves only.
    assert not Survey.objects.filter(
        state="scheduled", due_at__lt=now - timezone.timedelta(hours=1)
    ).exists()
    assert all("How did we do" not in m.body for m in mail.outbox)


def test_the_demo_has_nps_answers_of_every_kind():
    call_command("demo_data", stdout=StringIO())
    now = timezone.now()
    nps = Survey.objects.filter(kind="nps")
    answered = nps.filter(state="answered")
    assert answered.count() >= 5
    assert answered.filter(rating__gte=9).exists()
    assert answered.filter(rating__lte=6).exists()
    assert not nps.filter(sent_at__gt=now).exists()
    assert not answered.filter(answered_at__gt=now).exists()
    # Once per contact, and each detractor has its follow-up.
    assert nps.values("contact").distinct().count() == nps.count()
    detractors = answered.filter(satisfied=False)
    assert FollowUp.objects.filter(survey__in=detractors).count() == detractors.count()
    assert not nps.filter(state="scheduled").exists()
