from rest_framework import permissions

from apps.accounts.models import AgentProfile, role_of

from .models import ApiToken


class HasScope(permissions.BasePermission):
    """A token needs the view's scope for the request: `<resource>:read` or `<resource>:write`.

    Views set `scope_resource = "cases"`. A write scope includes reading the same resource (as
    restricted keys and fine-grained tokens elsewhere do): a `cases:write` token may GET what a
    `cases:read` token may, so a PATCH that answers with the case reveals nothing its token
    could not read anyway. A read scope never writes. Browser sessions are not narrowed by
    scopes: what a signed-in user sees follows their role and teams (the queryset does that).
    """

    message = "This token's scopes do not allow this request."

    def has_permission(self, request, view):
        token = request.auth
        if not isinstance(token, ApiToken):
            return True
        resource = getattr(view, "scope_resource", None)
        if resource is None:
            return False
        if request.method in permissions.SAFE_METHODS:
            needed, enough = f"{resource}:read", (f"{resource}:read", f"{resource}:write")
        else:
            needed = f"{resource}:write"
            enough = (needed,)
        if any(token.has_scope(scope) for scope in enough):
            return True
        self.message = f"This token lacks the {needed} scope."
        return False


class AdminSessionOrToken(permissions.BasePermission):
    """Browser sessions only for admins (role admin, or a superuser); API tokens pass here, and
    HasScope holds them to their scopes.

    For endpoints that configure an integration (webhook subscriptions): a token's scopes are
    what an admin granted it (tokens are made in the admin), so a token with the scope acts
    whoever owns it, while a signed-in agent or supervisor may not. 403 rather than 404: the
    refusal comes before any object is looked up, so it reveals nothing about one.
    """

    message = "Only admins, and API tokens granted this scope, may use this endpoint."

    def has_permission(self, request, view):
        if isinstance(request.auth, ApiToken):
            return True
        return role_of(request.user) == AgentProfile.Role.ADMIN
