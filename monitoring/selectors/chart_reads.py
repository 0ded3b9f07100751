"""One session's rows that its pre-dose gate and discharge criteria judge, each read once, when
first asked for: the chart hands over the rows it has already read, so its statuses read nothing
again; a service checking a dose or a discharge reads only what its checks ask for. The patient's
records the gate judges are read together, in one statement, as the gate plans them."""

from __future__ import annotations

from datetime import datetime
from functools import cached_property

from kat_clinic.compiled_batch import read_together
from kat_clinic.compiled_query import Prepared
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
        # The patient's records the pre-dose gate reads (`gate_queries`), by query and values.
        self._records: dict[tuple, list] = {}
        self.given(**already_read)

    def given(self, **already_read) -> None:
        """Take rows read since (by kind, as the constructor takes them)."""
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

    def records(self, prepared: Prepared, values: dict) -> list:
        """The rows of one of the gate's reads of the patient's records: as `read_records_together`
        answered it, else read now (and kept)."""
        key = _key(prepared, values)
        rows = self._records.get(key)
        if rows is None:
            rows = self._records[key] = list(prepared.bind(**values))
        return rows

    def keep_records(self, runs: list[tuple[Prepared, dict]], found: list[list]) -> None:
        """Keep the rows of these reads of the patient's records, read by the caller (`found`, in
        their order), for `records` to answer with."""
        for (prepared, values), rows in zip(runs, found, strict=True):
            self._records.setdefault(_key(prepared, values), rows)

    def read_records_together(self, runs: list[tuple[Prepared, dict]]) -> None:
        """Answer these reads of the patient's records (those not answered yet) in one statement:
        the gate plans the reads its checks will ask `records` for, and sends them at once."""
        keys = {}
        for prepared, values in runs:
            key = _key(prepared, values)
            if key not in self._records:
                keys.setdefault(key, (prepared, values))
        if keys:
            for key, rows in zip(keys, read_together(*keys.values()), strict=True):
                self._records[key] = rows

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


def _key(prepared: Prepared, values: dict) -> tuple:
    return prepared, tuple(sorted((name, tuple(v) if isinstance(v, list) else v) for name, v in values.items()))


_KINDS = frozenset({"doses", "escalations", "attestation", "vitals", "sedation", "policy", "limits"})
