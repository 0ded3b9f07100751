"""One session's rows that its pre-dose gate and discharge criteria judge, each read once, when
first asked for: the chart hands over the rows it has already read, so its statuses read nothing
again; a service checking a dose or a discharge reads only what its checks ask for."""

from __future__ import annotations

from datetime import datetime
from functools import cached_property

from monitoring.models import (
    ChartingPolicy,
    DoseAdministration,
    Escalation,
    SedationScore,
    SessionAttestation,
    VitalSign,
)
from monitoring.selectors.policy import ChartingRules, session_charting_rules
from monitoring.selectors.querysets import SessionRows
from sessions.models import Session


class ChartReads:
    """`ChartReads(session)` reads each kind of row on first use; `ChartReads(session, doses=[...])`
    takes rows already read, in the order the properties below read them."""

    def __init__(self, session: Session, **already_read) -> None:
        self.session = session
        unknown = set(already_read) - _KINDS
        if unknown:
            raise TypeError(f"not a kind of row the checks read: {sorted(unknown)}")
        self.__dict__.update(already_read)

    @cached_property
    def doses(self) -> list[DoseAdministration]:
        """Every dose, entered in error too, in (started_at, pk) order."""
        return list(SessionRows.doses.bind(session=self.session.pk))

    @cached_property
    def escalations(self) -> list[Escalation]:
        """Every escalation in (occurred_at, pk) order."""
        return list(SessionRows.escalations.bind(session=self.session.pk))

    @cached_property
    def attestation(self) -> SessionAttestation | None:
        return SessionRows.attestation.first(session=self.session.pk)

    @cached_property
    def vitals(self) -> list[VitalSign]:
        """Every reading, entered in error too, in (measured_at, pk) order."""
        return list(SessionRows.vitals.bind(session=self.session.pk))

    @cached_property
    def sedation(self) -> list[SedationScore]:
        """Every MOAA/S score, entered in error too, in (measured_at, pk) order."""
        return list(SessionRows.sedation.bind(session=self.session.pk))

    @cached_property
    def _rules(self) -> ChartingRules:
        """The policy and the thresholds, read together (one query) when either is first asked for,
        or from the session's row where it was read `with_charting_rules`."""
        return session_charting_rules(self.session)

    @cached_property
    def policy(self) -> ChartingPolicy:
        return self._rules.policy

    @cached_property
    def limits(self) -> dict:
        return self._rules.limits

    def given_doses(self) -> list[DoseAdministration]:
        """The doses not entered in error, in the order they were started."""
        return [dose for dose in self.doses if dose.entered_in_error_at is None]

    def emergency_transfer(self) -> Escalation | None:
        """The session's transfer to emergency care, when one is recorded (the earliest)."""
        return next((e for e in self.escalations if e.kind == Escalation.Kind.EMERGENCY_TRANSFER), None)

    def latest_vital(self, *, start: datetime | None, end: datetime, measures: str) -> VitalSign | None:
        """The latest reading (by time, then id) not entered in error, measured in [start, end] and
        holding `measures`."""
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


_KINDS = frozenset({"doses", "escalations", "attestation", "vitals", "sedation", "policy", "limits"})
