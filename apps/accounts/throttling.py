"""How often one may ask for a password reset email (DRF's rate throttles, the default cache).

Two budgets of CXDESK_PASSWORD_RESET_RATE each: per client address (apps/core/http.py), so one
machine cannot mail-bomb many agents or probe at speed, and per email address typed, so nobody
fills one agent's mailbox from many machines. Neither depends on whether an account exists.
"""

import hashlib

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

from apps.core.http import client_network


class _PasswordResetThrottle(SimpleRateThrottle):
    def __init__(self):
        self.rate = settings.CXDESK_PASSWORD_RESET_RATE
        super().__init__()

    def allows(self, ident: str) -> bool:
        """Count one request against `ident`; False once the budget is spent."""
        self.ident = ident
        return self.allow_request(None, None)

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.ident}


class PasswordResetAddressThrottle(_PasswordResetThrottle):
    scope = "password_reset_address"

    def allows_request(self, request) -> bool:
        return self.allows(client_network(request) or "unknown")


class PasswordResetEmailThrottle(_PasswordResetThrottle):
    scope = "password_reset_email"

    def allows_email(self, email: str) -> bool:
        # Hashed: the cache need not hold the addresses people typed.
        return self.allows(hashlib.sha256(email.strip().lower().encode()).hexdigest())
