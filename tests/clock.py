"""The clinic's own calendar for tests built relative to now.

`timezone.localdate()` is the UTC date (the project's TIME_ZONE); a New York clinic's day differs
from it between 19:00 and midnight local (00:00-05:00 UTC), and the product compares dates in the
clinic's zone. Tests that mean "today at the clinic" use `clinic_today(clinic)`.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone


def clinic_today(clinic) -> dt.date:
    return clinic.local_date(timezone.now())
