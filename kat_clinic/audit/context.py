"""What a request touched, filled in by the views and written by the audit middleware."""

from __future__ import annotations

from dataclasses import dataclass, field
from operator import itemgetter


@dataclass
class AuditContext:
    request_id: str
    resource_type: str = ""
    action: str = ""
    operation: str = ""
    resource_ids: list[int] = field(default_factory=list)
    patient_ids: list[int] = field(default_factory=list)
    clinic_ids: list[int] = field(default_factory=list)
    break_glass: bool = False
    # Who, for requests without an authenticated user (a login attempt names its username).
    user_id: int | None = None
    username: str = ""

    def add_object(self, *, resource_id: int | None, patient_id: int | None, clinic_id: int | None) -> None:
        if resource_id is not None and resource_id not in self.resource_ids:
            self.resource_ids.append(resource_id)
        if patient_id is not None and patient_id not in self.patient_ids:
            self.patient_ids.append(patient_id)
        if clinic_id is not None and clinic_id not in self.clinic_ids:
            self.clinic_ids.append(clinic_id)

    def add_rows(self, rows: list[tuple], resource: int, patient: int | None, clinic: int | None) -> None:
        """`add_object` for each row of a list read as tuples: the id, patient and clinic are the
        values at those indexes of each row (None: not audited)."""
        for ids, index in ((self.resource_ids, resource), (self.patient_ids, patient), (self.clinic_ids, clinic)):
            if index is None:
                continue
            new = dict.fromkeys(map(itemgetter(index), rows))  # each value once, in order (at C speed)
            new.pop(None, None)
            if ids:
                known = set(ids)
                ids.extend(value for value in new if value not in known)
            else:
                ids.extend(new)
