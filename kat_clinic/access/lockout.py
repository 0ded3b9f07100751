"""Login lockout (django-axes): a username at one address first, a username everywhere later, never an address.

`AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "username"]` makes axes count failures per
(username, address) pair and per username. Axes compares both counts with one limit; this handler
weighs them so that a pair locks at `AXES_FAILURE_LIMIT` failures and a username (sprayed from
many addresses) at `AXES_USERNAME_FAILURE_LIMIT`. No count is kept per address alone, so failed
logins under made-up usernames never lock a colleague behind the same address out.
"""

from __future__ import annotations

from axes.handlers.database import AxesDatabaseHandler
from django.conf import settings
from django.db.models import Sum


class UsernameAndAddressLockout(AxesDatabaseHandler):
    def get_failures(self, request, credentials: dict | None = None) -> int:
        by_pair, by_username = (
            attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0
            for attempts in self.get_user_attempts(request, credentials)
        )
        # In units of AXES_FAILURE_LIMIT: the username's count reaches the limit at its own limit.
        weighted = by_username * settings.AXES_FAILURE_LIMIT // settings.AXES_USERNAME_FAILURE_LIMIT
        return max(by_pair, weighted)
