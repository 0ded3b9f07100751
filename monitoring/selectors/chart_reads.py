"""What the chart has already read of one session, handed to its gate and discharge status so that
they judge those rows instead of reading them again (`monitoring.selectors.gate.chart_statuses`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from monitoring.models import (
    ChartingPolicy,
    DoseAdministration,
    Escalation,
    SedationScore,
    SessionAttestation,
    VitalSign,
)


@dataclass(frozen=True)
class ChartReads:
    """Rows of one session that the chart has already read, so that its gate and discharge status
    take them from here instead of reading them again: every dose (entered in error too) in
    (started_at, pk) order, every escalation in (occurred_at, pk) order, and the attestation."""

    doses: list[DoseAdministration]
    escalations: list[Escalation]
    attestation: SessionAttestation | None
    vitals: list[VitalSign]
    sedation: list[SedationScore]
    # The clinic's charting policy and thresholds, when the caller has read them.
    policy: ChartingPolicy | None = None
    limits: dict | None = None

    def given_doses(self) -> list[DoseAdministration]:
        """The doses not entered in error, in the order they were started."""
        return [dose for dose in self.doses if dose.entered_in_error_at is None]

    def latest_vital(self, *, start: datetime | None, end: datetime, measures: str) -> VitalSign | None:
        """The latest reading (by time, then id) not entered in error, measured in [start, end] and
        holding `measures`: what `order_by("-measured_at", "-pk").first()` returns of the same filter."""
        found = [
            v
            for v in self.vitals
            if v.entered_in_error_at is None
            and getattr(v, measures) is not None
            and (start is None or v.measured_at >= start)
            and v.measured_at <= end
        ]
        return max(found, key=lambda v: (v.measured_at, v.pk), default=None)

    def latest_sedation(self, *, start: datetime, end: datetime) -> SedationScore | None:
        found = [s for s in self.sedation if s.entered_in_error_at is None and start <= s.measured_at <= end]
        return max(found, key=lambda s: (s.measured_at, s.pk), default=None)


def known_policy(known: ChartReads | None) -> ChartingPolicy | None:
    return known.policy if known is not None else None


def known_limits(known: ChartReads | None) -> dict | None:
    return known.limits if known is not None else None
