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
    # The front desk and clinicians read and book the schedule (sessions carry no clinical data);
    # only clinicians start and complete a session, since that is where charting begins.
    "session.read": CARE_TEAM,
    "session.book": CARE_TEAM,
    "session.check_in": CARE_TEAM,
    "session.start": CLINICIANS,
    "session.complete": CLINICIANS,
    "session.cancel": CARE_TEAM,
    "session.no_show": CARE_TEAM,
    "session.reschedule": CARE_TEAM,
    "schedule.search": CARE_TEAM,
    "schedule.program_booking": CARE_TEAM,
    "schedule.day_board": CARE_TEAM,
    # --- monitoring (charting) ------------------------------------------------------------------
    # The front desk holds none of these; therapists chart notes and scales but order no doses.
    "chart.read": CLINICIANS,
    "note.read": CLINICIANS,
    "note.write": CLINICIANS,
    "note.sign": CLINICIANS,
    "note.cosign": frozenset({P}),
    "dose.read": CLINICIANS,
    "dose.order": frozenset({P}),
    "dose.administer": frozenset({N, P}),
    "dose.override": frozenset({P}),
    "vitals.read": CLINICIANS,
    "vitals.write": frozenset({N, P}),
    "scale.read": CLINICIANS,
    "scale.write": CLINICIANS,
    "record.read": CLINICIANS,
    "record.write": frozenset({N, P}),
    "alert.read": CLINICIANS,
    "alert.ack": frozenset({N, P}),
    "gate.override": frozenset({P}),
    "discharge.override": frozenset({P}),
    "rems.read": frozenset({N, P}),
    "rems.write": frozenset({N, P}),
    "rems.submit": frozenset({P}),
    # --- integration (follow-ups) ---------------------------------------------------------------
    # The queue shows each person only what is addressed to them or their role (integration.selectors).
    "followup.read": EVERYONE,
    "followup.acknowledge": EVERYONE,
    "checkin.read": CLINICIANS,
    "integration_plan.read": CLINICIANS,
    "integration_plan.write": frozenset({T, P}),
    "oncall.read": EVERYONE,
    "oncall.write": frozenset({A}),
    # --- interop (FHIR, documents, exports, calendars, webhooks) --------------------------------
    # What leaves the clinic. FHIR carries the whole chart: clinicians only, never the front desk.
    "fhir.read": CLINICIANS,
    # A clinic-wide export is every patient's chart at once: the prescriber, who answers for it.
    "fhir.bulk_export": frozenset({P}),
    "document.rems_form": frozenset({N, P}),
    "document.consent": CLINICIANS,
    "document.rems_enrollment": CLINICIANS,
    "document.session_summary": CLINICIANS,
    # The schedule carries names, not clinical data: whoever reads the schedule may export it.
    "export.schedule": CARE_TEAM,
    # Outcome counts carry no patient data.
    "export.outcomes": frozenset({A, N, P, T}),
    "export.audit": frozenset({A}),
    # The accounting of disclosures a patient may ask for (45 CFR 164.528), kept by the privacy officer.
    "export.disclosures": frozenset({A}),
    # Everyone may subscribe to their own sessions; room calendars are the front desk's and admins'.
    "calendar.manage": EVERYONE,
    "calendar.room_feed": frozenset({A, S}),
    # Reached without a login (public views): the signed link or the webhook token is the credential.
    "checkin.link": frozenset(),
    "sms.inbound": frozenset(),
    "calendar.feed": frozenset(),
}


def roles_for(operation: str) -> frozenset[str]:
    """Roles allowed to perform `operation`; an unknown operation is allowed to nobody."""
    return PERMISSION_MATRIX.get(operation, frozenset())
