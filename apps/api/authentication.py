from rest_framework import authentication, exceptions

from . import services


class TokenAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer cxd_…` → the token's owner, with the token as `request.auth`."""

    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header:
            return None
        scheme, _, key = header.partition(" ")
        if scheme.lower() != self.keyword.lower():
            return None
        key = key.strip()
        if not key:
            raise exceptions.AuthenticationFailed("The Authorization header has no token.")
        token = services.api_token_for_request(request, key)
        if token is None:
            raise exceptions.AuthenticationFailed("The token is invalid or was revoked.")
        services.api_token_touch(token)
        return token.owner, token

    def authenticate_header(self, request):
        return f'{self.keyword} realm="api"'
