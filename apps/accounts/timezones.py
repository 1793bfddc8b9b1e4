"""Each agent reads the workspace in their own time zone.

The zone is `AgentProfile.time_zone` (an IANA name). `AgentTimeZoneMiddleware` activates it
for the request (`timezone.activate`), so every template's `|date`, `|time` and our `|when`
(apps/core/templatetags/cxdesk.py) show the agent's local time; the rest of the code keeps
working in UTC-aware datetimes.

Reading the profile on every request would cost a query on every page (and break the pages'
query budgets), so the zone is kept in the session: written at sign-in (`user_logged_in`),
rewritten when the agent changes it, read from the profile once for a session that predates
this (then stored). An empty value means "not chosen": the page then carries
`data-tz-report` and static/cxdesk/time.js posts the browser's own zone
(`Intl.DateTimeFormat().resolvedOptions().timeZone`) once to `account-time-zone`, which sets
it only while the profile has none — a choice made on /accounts/settings/ is never
overwritten by a browser. A POST rather than a cookie the server reads on every request: the
zone is then the agent's setting, the same on each device, shown and changeable on their
settings page, and usable where there is no browser (notification emails).
"""

from zoneinfo import ZoneInfo

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest
from django.utils import timezone

SESSION_KEY = "cxdesk_time_zone"


def profile_time_zone(user) -> str:
    profile = getattr(user, "profile", None)  # a createsuperuser admin has none
    return profile.time_zone if profile else ""


def remember(request: HttpRequest, name: str) -> None:
    request.session[SESSION_KEY] = name


@receiver(user_logged_in, dispatch_uid="cxdesk-time-zone-at-login")
def _at_login(sender, request, user, **kwargs) -> None:
    if request is not None and hasattr(request, "session"):
        remember(request, profile_time_zone(user))


class AgentTimeZoneMiddleware:
    """Activate the signed-in agent's zone; `request.agent_time_zone` is its name ("" when
    they have none yet: the server's TIME_ZONE is used)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        name = ""
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            name = request.session.get(SESSION_KEY)
            if name is None:
                name = profile_time_zone(user)
                remember(request, name)
        request.agent_time_zone = name
        if name:
            try:
                timezone.activate(ZoneInfo(name))
            except (ValueError, KeyError):  # removed from tzdata since it was stored
                timezone.deactivate()
        else:
            timezone.deactivate()
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
