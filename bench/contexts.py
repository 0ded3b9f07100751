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


@extender
def vitals(ctx: dict, clinic) -> None:
    """A manual reading as a nurse enters it, within normal limits (no alert), on a current session."""
    from bench.copyutil import model_or_none

    if model_or_none("monitoring.VitalSign") is None:
        return
    path = ctx["paths"].get("vitals_write", "")
    body = {
        "measured_at": "{now}",
        "systolic_mmhg": "{i%112:134}",
        "diastolic_mmhg": "{i%66:84}",
        "heart_rate_bpm": "{i%62:92}",
        "spo2_percent": "{i%95:99}",
        "source": "manual",
    }
    if "{session}" not in path:
        body["session"] = "{session}"
    ctx["vitals_body"] = body
