from rest_framework import permissions

from .models import ApiToken


class HasScope(permissions.BasePermission):
    """A token needs the view's scope for the request: `<resource>:read` or `<resource>:write`.

    Views set `scope_resource = "cases"`. Browser sessions are not narrowed by scopes: what a
    signed-in user sees follows their role and teams (the queryset does that).
    """

    message = "This token's scopes do not allow this request."

    def has_permission(self, request, view):
        token = request.auth
        if not isinstance(token, ApiToken):
            return True
        resource = getattr(view, "scope_resource", None)
        if resource is None:
            return False
        action = "read" if request.method in permissions.SAFE_METHODS else "write"
        scope = f"{resource}:{action}"
        if token.has_scope(scope):
            return True
        self.message = f"This token lacks the {scope} scope."
        return False
