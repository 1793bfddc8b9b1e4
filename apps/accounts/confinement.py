"""What a stakeholder may open: the one place that decides it, deny by default.

A stakeholder (AgentProfile.Role.STAKEHOLDER) is one of the people of an owner team — product,
billing, logistics — who fix root causes at the source. They see the root-cause owners'
dashboard and the problems of their teams, with no customer's name or identity, and nothing
else. Rather than a check in every view (one forgotten view is a leak), this middleware
refuses every URL whose name is not in STAKEHOLDER_URLS before its view runs: a page added
tomorrow is refused to stakeholders until someone adds its name here, on purpose.
tests/accounts/test_stakeholder_confinement.py walks every URL pattern of the project and
fails when a stakeholder reaches one that is not listed.

- Who: the signed-in user (session), or the owner of the API token the request carries (the
  token is read once per request, apps/api/services.api_token_for_request, and shared with
  DRF's authentication and the idempotency middleware). A token's scopes narrow it further.
- The refusal: 403 (in the API's error envelope under /api/). "home" — the agent's queue,
  where Django sends everyone after sign-in — redirects a stakeholder to their dashboard.
- The listed pages themselves hide customers' names and identities from stakeholders
  (apps/rootcauses/dashboard.py, apps/problems/views.py).
- The role is read from the profile on each request (role_of: one query by primary key,
  or none when the view reads it anyway), so a change of role holds at the next request,
  not at the next sign-in. As a second wall, Case.objects.visible_to gives a stakeholder no
  case at all.
"""

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect

from .models import AgentProfile, role_of

# URL names (with their namespace) a stakeholder may open.
STAKEHOLDER_URLS = frozenset(
    {
        # Signing in and out, their password, their own settings (time zone).
        "login",
        "logout",
        "password_change",
        "password_change_done",
        "password_reset",
        "password_reset_done",
        "password_reset_confirm",
        "password_reset_complete",
        "account-settings",
        "account-time-zone",
        "healthz",
        # The root-cause owners' dashboard, its CSV, its PII-free case list, and its API.
        "rootcauses:dashboard",
        "rootcauses:dashboard-csv",
        "rootcauses:dashboard-cases",
        "api:root-cause-dashboard",
        # Their teams' problems, read-only (problems_visible_to narrows them).
        "problems:list",
        "problems:detail",
        # Their notices: a spike of a cause their team owns (notifications/selectors.py
        # shows them only notices about no case).
        "notifications:inbox",
        "notifications:mark-read",
        "notifications:count",
        "notifications:open",
    }
)
# Where a stakeholder lands (after sign-in, or asking for the queue).
STAKEHOLDER_HOME = "rootcauses:dashboard"


def is_stakeholder(user) -> bool:
    return bool(
        user is not None
        and user.is_authenticated
        and role_of(user) == AgentProfile.Role.STAKEHOLDER
    )


def stakeholder_may(view_name: str | None) -> bool:
    return view_name in STAKEHOLDER_URLS


def _principal(request: HttpRequest):
    """The signed-in user, else the owner of a valid API token the request carries."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return user
    scheme, _, key = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        return None
    from apps.api import services as api_services  # the API app imports accounts: late

    token = api_services.api_token_for_request(request, key.strip())
    return token.owner if token is not None else None


class StakeholderConfinementMiddleware:
    """Refuse stakeholders every URL not in STAKEHOLDER_URLS (see the module docstring)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs):
        match = request.resolver_match
        name = match.view_name if match else None
        if stakeholder_may(name) or not is_stakeholder(_principal(request)):
            return None
        if name == "home":
            return redirect(STAKEHOLDER_HOME)
        message = "Stakeholders see the root-cause dashboard and their teams' problems only."
        if request.path.startswith("/api/"):
            from apps.api.errors import envelope

            return JsonResponse(envelope(403, "permission_denied", message), status=403)
        raise PermissionDenied(message)
