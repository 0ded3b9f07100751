"""The permission matrix: which roles may perform which operation. The one place it is declared.

Every API view names, per action, one operation of this table (`operations = {"list": "patient.read"}`);
`MatrixPermission` enforces it and the queryset scoping uses it to pick the clinics a user may act
in. `tests/security/test_permission_matrix.py` walks every URL and every OpenAPI operation, so an
endpoint without a row here fails the suite.

Minimum necessary: the front desk (scheduler) never reads notes, dosing, vitals or scales.
Each app keeps its own section so that changes stay local.
"""

from __future__ import annotations

from kat_clinic.roles import Role

A = Role.ADMIN
S = Role.SCHEDULER
N = Role.NURSE
P = Role.PRESCRIBER
T = Role.THERAPIST

EVERYONE = frozenset({A, S, N, P, T})
CLINICIANS = frozenset({N, P, T})
CARE_TEAM = frozenset({S, N, P, T})  # everyone who works with patients

PERMISSION_MATRIX: dict[str, frozenset[str]] = {
    # --- kat_clinic: clinics, rooms, staff, patients, audit -----------------------------------
    "me.read": EVERYONE,
    "clinic.read": EVERYONE,
    "clinic.write": frozenset({A}),
    "room.read": EVERYONE,
    "room.write": frozenset({A}),
    "staff.read": EVERYONE,
    "staff.write": frozenset({A}),
    "patient.read": CARE_TEAM,
    "patient.write": frozenset({S, N, P}),
    "patient.weight.read": CLINICIANS,
    "patient.weight.write": frozenset({N, P}),
    "audit.read": frozenset({A}),
    "breakglass.request": CLINICIANS,
    # --- programs ------------------------------------------------------------------------------
    "program_template.read": EVERYONE,
    "program_template.write": frozenset({A}),
    "enrollment.read": CARE_TEAM,
    "enrollment.write": CARE_TEAM,
    # --- clinic_sessions (scheduling) ----------------------------------------------------------
    # --- monitoring (charting) ------------------------------------------------------------------
    # --- integration (follow-ups) ---------------------------------------------------------------
    # The queue shows each person only what is addressed to them or their role (integration.selectors).
    "followup.read": EVERYONE,
    "followup.acknowledge": EVERYONE,
    "checkin.read": CLINICIANS,
    "integration_plan.read": CLINICIANS,
    "integration_plan.write": frozenset({T, P}),
    "oncall.read": EVERYONE,
    "oncall.write": frozenset({A}),
    # Reached without a login (public views): the signed link or the webhook token is the credential.
    "checkin.link": frozenset(),
    "sms.inbound": frozenset(),
}


def roles_for(operation: str) -> frozenset[str]:
    """Roles allowed to perform `operation`; an unknown operation is allowed to nobody."""
    return PERMISSION_MATRIX.get(operation, frozenset())
