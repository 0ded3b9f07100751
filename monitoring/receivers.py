"""Charting's answers to what scheduling announces (`sessions.signals`). Connected in
`MonitoringConfig.ready()`; each runs inside the sender's transaction."""

from __future__ import annotations

from monitoring.services import session_discharge_check
from sessions import signals as session_signals


def _session_completing(sender, *, session, **kwargs) -> None:
    # Discharge criteria (monitoring time, vitals, MOAA/S, escort) gate completion: 422 listing `unmet`.
    session_discharge_check(session=session)


def connect() -> None:
    session_signals.session_completing.connect(
        _session_completing, dispatch_uid="monitoring.receivers.session_completing"
    )
