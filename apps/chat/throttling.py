"""Rates of the public widget endpoints (DRF throttles, counters in the default cache).

Rates are read from REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] under the scopes below, with
these defaults when a scope is not configured:

- chat_address: every widget request from one IP address (polls included: an open widget
  polls every 3 s, so 1200/minute lets some 60 visitors behind one NAT chat at once);
- chat_start: chats started from one IP address (each one opens a case);
- chat_session: requests of one chat session (its polls, messages and end).
"""

from rest_framework.throttling import SimpleRateThrottle

DEFAULT_RATES = {
    "chat_address": "1200/minute",
    "chat_start": "10/minute",
    "chat_session": "120/minute",
}


class _ChatThrottle(SimpleRateThrottle):
    def get_rate(self):
        return self.THROTTLE_RATES.get(self.scope) or DEFAULT_RATES[self.scope]


class ChatAddressThrottle(_ChatThrottle):
    scope = "chat_address"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class ChatStartThrottle(_ChatThrottle):
    scope = "chat_start"

    def get_cache_key(self, request, view):
        if request.method != "POST":
            return None
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class ChatSessionThrottle(_ChatThrottle):
    """Keyed on the session the view resolved (and, but for preflights, whose token it
    checked), so nobody can spend another chat's budget."""

    scope = "chat_session"

    def get_cache_key(self, request, view):
        session = getattr(view, "session", None)
        if session is None or request.method == "OPTIONS":
            return None
        return self.cache_format % {"scope": self.scope, "ident": session.pk}
