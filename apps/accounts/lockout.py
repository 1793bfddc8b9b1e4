"""Sign-in lockout with two limits: one per account, a higher one per client address.

django-axes counts failures per lockout parameter (the account; the address) but compares
every count with one limit. One limit for both is wrong for a contact center: its agents sit
behind one office address, so five typos across the floor would lock every agent out for the
cool-off. Per account the limit stays small (CXDESK_LOGIN_FAILURE_LIMIT, 5: guessing one
person's password); per address it is CXDESK_LOGIN_ADDRESS_FAILURE_LIMIT (30: one address
trying many accounts, password spraying), both within the same cool-off.

The handler reports failures on the account's scale — an address's count times
account_limit / address_limit, rounded down — so that axes' own comparison with
AXES_FAILURE_LIMIT locks exactly when either count reaches its own limit.
"""

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_parameters, get_client_username, get_failure_limit
from django.conf import settings
from django.db.models import Sum


def address_failure_limit() -> int:
    return max(1, settings.CXDESK_LOGIN_ADDRESS_FAILURE_LIMIT)


class AccountAndAddressHandler(AxesDatabaseHandler):
    def get_failures(self, request, credentials=None) -> int:
        account_limit = get_failure_limit(request, credentials)
        address_limit = address_failure_limit()
        parameters = get_client_parameters(
            get_client_username(request, credentials),
            request.axes_ip_address,
            request.axes_user_agent,
            request,
            credentials,
        )
        worst = 0
        for lookup, attempts in zip(
            parameters, self.get_user_attempts(request, credentials), strict=True
        ):
            failures = attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0
            if set(lookup) == {"ip_address"}:
                failures = failures * account_limit // address_limit
            worst = max(worst, failures)
        return worst
