"""Every time on an agent's page is shown in the agent's zone, relative with the absolute
time on hover (apps/core/times.py, the |when filter, apps/accounts/timezones.py)."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.models import User
from django.http import HttpResponse
from django.template import Context, Template
from django.urls import reverse
from django.utils import timezone

from apps.accounts.models import AgentProfile
from apps.accounts.timezones import SESSION_KEY, AgentTimeZoneMiddleware
from apps.core.times import relative_text
from tests.factories import CaseFactory, InteractionFactory

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
# Sunday 29 March 2026, 12:00 in Berlin (10:00 UTC): clocks went 02:00 → 03:00 that night.
AFTER_BERLIN_DST = datetime(2026, 3, 29, 10, 0, tzinfo=UTC)


def render(value, mode="", zone=UTC):
    with timezone.override(zone):
        arg = f':"{mode}"' if mode else ""
        return Template("{% load cxdesk %}{{ value|when" + arg + " }}").render(
            Context({"value": value})
        )


def text(value, zone, mode="", now=AFTER_BERLIN_DST):
    with timezone.override(zone), time_machine.travel(now, tick=False):
        return relative_text(value, mode=mode)


@pytest.mark.parametrize(
    ("ago", "berlin", "new_york"),
    [
        (timedelta(seconds=40), "just now", "just now"),
        (timedelta(minutes=12), "12 min ago", "12 min ago"),
        (timedelta(hours=3), "3 h ago", "3 h ago"),
        # 03:00 UTC: 05:00 in Berlin (today, after the 02:00 → 03:00 gap), 23:00 the day
        # before in New York.
        (timedelta(hours=7), "7 h ago", "yesterday 23:00"),
        # 13:05 UTC on Saturday: 14:05 in Berlin (CET), 09:05 in New York (EDT): yesterday in
        # both, the hours of the 23-hour Berlin day counted as one day.
        (timedelta(hours=20, minutes=55), "yesterday 14:05", "yesterday 09:05"),
        (timedelta(days=3), "26 Mar", "26 Mar"),
        (timedelta(days=400), "22 Feb 2025", "22 Feb 2025"),
    ],
)
def test_past_times_read_in_each_zone(ago, berlin, new_york):
    moment = AFTER_BERLIN_DST - ago
    assert text(moment, BERLIN) == berlin
    assert text(moment, NEW_YORK) == new_york


@pytest.mark.parametrize(
    ("ahead", "berlin", "new_york"),
    [
        (timedelta(seconds=20), "due in 1 min", "due in 1 min"),
        (timedelta(minutes=35), "due in 35 min", "due in 35 min"),
        (timedelta(hours=3, minutes=10), "due in 3 h 10 min", "due in 3 h 10 min"),
        # 21:00 UTC: 23:00 in Berlin (still today), 17:00 in New York.
        (timedelta(hours=11), "due in 11 h", "due in 11 h"),
        # 02:00 UTC on Monday: 04:00 in Berlin, still Sunday 22:00 in New York.
        (timedelta(hours=16), "due tomorrow 04:00", "due in 16 h"),
        (timedelta(days=5), "due 3 Apr 12:00", "due 3 Apr 06:00"),
    ],
)
def test_sla_due_times_in_each_zone(ahead, berlin, new_york):
    moment = AFTER_BERLIN_DST + ahead
    assert text(moment, BERLIN, mode="due") == berlin
    assert text(moment, NEW_YORK, mode="due") == new_york


def test_a_passed_due_time_reads_as_breached():
    assert text(AFTER_BERLIN_DST - timedelta(minutes=5), BERLIN, "due") == "breached 5 min ago"
    assert text(AFTER_BERLIN_DST - timedelta(hours=2), BERLIN, "due") == "breached 2 h ago"


def test_the_element_carries_iso_time_and_the_absolute_time_in_the_zone():
    moment = datetime(2026, 3, 28, 13, 5, tzinfo=UTC)
    with time_machine.travel(AFTER_BERLIN_DST, tick=False):
        berlin = render(moment, zone=BERLIN)
        new_york = render(moment, zone=NEW_YORK)
        due = render(AFTER_BERLIN_DST + timedelta(minutes=35), "due", zone=BERLIN)
    assert berlin == (
        '<time datetime="2026-03-28T13:05:00+00:00" title="Sat 28 Mar 2026, 14:05 CET" '
        'data-when="past">yesterday 14:05</time>'
    )
    assert 'title="Sat 28 Mar 2026, 09:05 EDT"' in new_york
    assert "yesterday 09:05</time>" in new_york
    assert 'data-when="due">due in 35 min</time>' in due
    assert 'title="Sun 29 Mar 2026, 12:35 CEST"' in due


def test_nothing_rendered_without_a_time():
    assert render(None) == ""
    assert render("") == ""


# --- the agent's zone --------------------------------------------------------------------


def set_zone(user, name):
    user.profile.time_zone = name
    user.profile.save()


@pytest.mark.django_db
def test_the_case_page_shows_times_in_the_agents_zone(client, agent, team):
    set_zone(agent, "America/New_York")
    case = CaseFactory(team=team, assignee=agent)
    InteractionFactory(case=case, occurred_at=datetime(2026, 3, 28, 13, 5, tzinfo=UTC))
    client.force_login(agent)
    with time_machine.travel(AFTER_BERLIN_DST, tick=False):
        body = client.get(reverse("case-detail", args=[case.pk])).content.decode()
    assert 'title="Sat 28 Mar 2026, 09:05 EDT" data-when="past">yesterday 09:05</time>' in body
    assert 'data-tz="America/New_York"' in body
    assert "data-tz-report" not in body  # chosen already: the browser is not asked


@pytest.mark.django_db
def test_without_a_zone_the_page_asks_the_browser_for_its_own(client, agent, team):
    client.force_login(agent)
    body = client.get(reverse("home")).content.decode()
    assert f'data-tz-report="{reverse("account-time-zone")}"' in body
    assert 'data-tz="UTC"' in body
    assert '<script src="/static/cxdesk/time.js" defer></script>' in body


@pytest.mark.django_db
def test_the_browsers_zone_is_kept_once_and_never_over_a_chosen_one(client, agent):
    client.force_login(agent)
    url = reverse("account-time-zone")
    assert client.post(url, {"time_zone": "Europe/Berlin"}).status_code == 204
    agent.profile.refresh_from_db()
    assert agent.profile.time_zone == "Europe/Berlin"
    assert client.session[SESSION_KEY] == "Europe/Berlin"
    # Another browser (another zone) later: the zone stays.
    assert client.post(url, {"time_zone": "Asia/Tokyo"}).status_code == 204
    agent.profile.refresh_from_db()
    assert agent.profile.time_zone == "Europe/Berlin"


@pytest.mark.django_db
@pytest.mark.parametrize("bad", ["Mars/Olympus", "../../etc/passwd", "x" * 300])
def test_a_zone_zoneinfo_does_not_know_is_refused(client, agent, bad):
    client.force_login(agent)
    response = client.post(reverse("account-time-zone"), {"time_zone": bad})
    assert response.status_code == 400
    assert "not a time zone name" in response.content.decode()
    agent.profile.refresh_from_db()
    assert agent.profile.time_zone == ""


@pytest.mark.django_db
def test_reporting_a_zone_needs_a_signed_in_post(client, agent):
    url = reverse("account-time-zone")
    assert client.post(url, {"time_zone": "Europe/Berlin"}).status_code == 302  # to login
    client.force_login(agent)
    assert client.get(url).status_code == 405


@pytest.mark.django_db
def test_the_settings_page_sets_and_clears_the_zone(client, agent):
    client.force_login(agent)
    url = reverse("account-settings")
    page = client.get(url).content.decode()
    assert '<option value="Europe/Berlin">Europe/Berlin</option>' in page
    assert f'href="{reverse("password_change")}"' in page
    response = client.post(url, {"time_zone": "Europe/Berlin"}, follow=True)
    assert "Times are now shown in Europe/Berlin." in response.content.decode()
    assert 'data-tz="Europe/Berlin"' in response.content.decode()
    agent.profile.refresh_from_db()
    assert agent.profile.time_zone == "Europe/Berlin"
    client.post(url, {"time_zone": ""})
    agent.profile.refresh_from_db()
    assert agent.profile.time_zone == ""


@pytest.mark.django_db
def test_a_bad_zone_on_the_settings_page_is_a_field_error(client, agent):
    client.force_login(agent)
    response = client.post(reverse("account-settings"), {"time_zone": "Mars/Olympus"})
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()


@pytest.mark.django_db
def test_a_superuser_without_a_profile_gets_one(client, admin_user):
    AgentProfile.objects.filter(user=admin_user).delete()
    client.force_login(admin_user)
    assert client.post(reverse("account-time-zone"), {"time_zone": "Asia/Tokyo"}).status_code == 204
    assert AgentProfile.objects.get(user=admin_user).time_zone == "Asia/Tokyo"


@pytest.mark.django_db
def test_the_zone_costs_no_query_per_page(client, agent, rf, django_assert_num_queries):
    """Kept in the session at sign-in: the middleware reads no profile for a page."""
    set_zone(agent, "Asia/Tokyo")
    client.force_login(agent)
    assert client.session[SESSION_KEY] == "Asia/Tokyo"
    request = rf.get("/")
    request.user = User.objects.get(pk=agent.pk)
    request.session = client.session
    request.session.items()  # loaded here, as SessionMiddleware's auth lookup would have
    seen = {}

    def view(request):
        seen["zone"] = timezone.get_current_timezone_name()
        return HttpResponse()

    with django_assert_num_queries(0):
        AgentTimeZoneMiddleware(view)(request)
    assert seen["zone"] == "Asia/Tokyo"
    assert timezone.get_current_timezone_name() == "UTC"  # deactivated after the response


@pytest.mark.django_db
def test_a_session_from_before_reads_the_profile_once(client, agent):
    set_zone(agent, "Asia/Tokyo")
    client.force_login(agent)
    session = client.session
    del session[SESSION_KEY]
    session.save()
    body = client.get(reverse("home")).content.decode()
    assert 'data-tz="Asia/Tokyo"' in body
    assert client.session[SESSION_KEY] == "Asia/Tokyo"
