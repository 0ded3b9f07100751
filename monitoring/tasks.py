"""Charting runs no tasks of its own: a new alert is announced (`monitoring.signals.alerts_raised`)
and the follow-up engine delivers and escalates it through its outbox."""
