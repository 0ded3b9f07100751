"""Charting's answers to what scheduling announces (`sessions.signals`). Connected in
`MonitoringConfig.ready()`; each runs inside the sender's transaction."""

from __future__ import annotations

from monitoring.selectors.board import board_flags
from monitoring.services import session_discharge_check
from monitoring.services.rems import rems_form_on_completion
from sessions import signals as session_signals


def _session_completing(sender, *, session, **kwargs) -> None:
    # Discharge criteria (monitoring time, vitals, MOAA/S, escort) gate completion: 422 listing `unmet`.
    session_discharge_check(session=session)


def _session_completed(sender, *, session, **kwargs) -> None:
    # An esketamine session's REMS Patient Monitoring Form is generated from the chart at completion.
    rems_form_on_completion(session=session)


def _day_board_flags(sender, *, sessions, now, **kwargs) -> dict[int, dict]:
    # Prerequisites, ride and authorization status of the board's sessions: one query (no clinical detail).
    return board_flags(sessions=sessions, now=now)


def connect() -> None:
    session_signals.day_board_flags.connect(_day_board_flags, dispatch_uid="monitoring.receivers.day_board_flags")
    session_signals.session_completing.connect(
        _session_completing, dispatch_uid="monitoring.receivers.session_completing"
    )
    session_signals.session_completed.connect(_session_completed, dispatch_uid="monitoring.receivers.session_completed")
