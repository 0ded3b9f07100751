"""One way to move a row from one status to another: a conditional UPDATE.

`UPDATE ... SET status = <to> WHERE pk = <pk> AND status IN (<from>)` changes the row at most once,
however many callers race: the second finds nothing to update. Sessions, enrollments and planned
sessions all move through here; each caller decides what a refusal means to it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import models


def status_transition(
    model: type[models.Model], *, pk: Any, from_statuses: Iterable[str], to_status: str, **fields: Any
) -> bool:
    """Set `status` to `to_status` (and `fields`) if the row's status is one of `from_statuses`.

    True if this call changed the row; False if the row was in another status (or is gone).
    """
    updated = model._default_manager.filter(pk=pk, status__in=list(from_statuses)).update(status=to_status, **fields)
    return bool(updated)
