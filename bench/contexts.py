"""Per-app load context: request bodies and pools of single-use ids, for the apps on this branch.

Each extender takes the context dict and the bench clinic and adds what its scenarios need; an app
that is not there yet adds nothing, and its scenarios report "not available".
"""

from __future__ import annotations

from collections.abc import Callable

EXTENDERS: list[Callable[[dict, object], None]] = []


def extender(fn: Callable[[dict, object], None]) -> Callable[[dict, object], None]:
    EXTENDERS.append(fn)
    return fn
