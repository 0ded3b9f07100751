"""Charting's answers to what scheduling announces (`sessions.signals`), and its judging of the day
board's flags (`sessions.board_flags`). Connected in `MonitoringConfig.ready()`; each receiver runs
inside the sender's transaction."""

from __future__ import annotations

from monitoring.selectors.board import judge_board_flags
from monitoring.services import session_discharge_check
from monitoring.services.rems import rems_form_on_completion
from sessions import board_flags as session_board_flags
from sessions import signals as session_signals


def _session_completing(sender, *, session, **kwargs) -> None:
    # Discharge criteria (monitoring time, vitals, MOAA/S, escort) gate completion: 422 listing `unmet`.
    session_discharge_check(session=session)


def _session_completed(sender, *, session, **kwargs) -> None:
    # An esketamine session's REMS Patient Monitoring Form is generated from the chart at completion.
    rems_form_on_completion(session=session)


def connect() -> None:
    # Prerequisites, ride and authorization status of the board's sessions, judged in the board's
    # own statement (no clinical detail).
    session_board_flags.judge_in_board(judge_board_flags)
    session_signals.session_completing.connect(
        _session_completing, dispatch_uid="monitoring.receivers.session_completing"
    )
    session_signals.session_completed.connect(_session_completed, dispatch_uid="monitoring.receivers.session_completed")
