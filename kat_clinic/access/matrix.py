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

ADMIN, SCHEDULER, NURSE, PRESCRIBER, THERAPIST = (
    Role.ADMIN,
    Role.SCHEDULER,
    Role.NURSE,
    Role.PRESCRIBER,
    Role.THERAPIST,
)


EVERYONE = frozenset({ADMIN, SCHEDULER, NURSE, PRESCRIBER, THERAPIST})
CLINICIANS = frozenset({NURSE, PRESCRIBER, THERAPIST})
CARE_TEAM = frozenset({SCHEDULER, NURSE, PRESCRIBER, THERAPIST})  # everyone who works with patients

PERMISSION_MATRIX: dict[str, frozenset[str]] = {
    # --- kat_clinic: clinics, rooms, staff, patients, audit -----------------------------------
    "me.read": EVERYONE,
    "clinic.read": EVERYONE,
    "clinic.write": frozenset({ADMIN}),
    "room.read": EVERYONE,
    "room.write": frozenset({ADMIN}),
    "staff.read": EVERYONE,
    "staff.write": frozenset({ADMIN}),
    "patient.read": CARE_TEAM,
    "patient.write": frozenset({SCHEDULER, NURSE, PRESCRIBER}),
    "patient.weight.read": CLINICIANS,
    "patient.weight.write": frozenset({NURSE, PRESCRIBER}),
    "audit.read": frozenset({ADMIN}),
    "breakglass.request": CLINICIANS,
    # --- programs ------------------------------------------------------------------------------
    "program_template.read": EVERYONE,
    "program_template.write": frozenset({ADMIN}),
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
    # The ride home and its escort (name, phone, here): the front desk's part of the attestation.
    "ride.write": CARE_TEAM,
    # --- monitoring (charting) ------------------------------------------------------------------
    # The front desk holds none of these; therapists chart notes and scales but order no doses.
    "chart.read": CLINICIANS,
    "note.read": CLINICIANS,
    "note.write": CLINICIANS,
    "note.sign": CLINICIANS,
    "note.cosign": frozenset({PRESCRIBER}),
    "dose.read": CLINICIANS,
    "dose.order": frozenset({PRESCRIBER}),
    "dose.administer": frozenset({NURSE, PRESCRIBER}),
    "dose.override": frozenset({PRESCRIBER}),
    "vitals.read": CLINICIANS,
    "vitals.write": frozenset({NURSE, PRESCRIBER}),
    "scale.read": CLINICIANS,
    "scale.write": CLINICIANS,
    "record.read": CLINICIANS,
    "record.write": frozenset({NURSE, PRESCRIBER}),
    "screen.review": frozenset({PRESCRIBER}),
    "alert.read": CLINICIANS,
    "alert.ack": frozenset({NURSE, PRESCRIBER}),
    "gate.override": frozenset({PRESCRIBER}),
    "discharge.override": frozenset({PRESCRIBER}),
    "rems.read": frozenset({NURSE, PRESCRIBER}),
    "rems.write": frozenset({NURSE, PRESCRIBER}),
    "rems.submit": frozenset({PRESCRIBER}),
    # --- followups ------------------------------------------------------------------------------
    # The queue shows each person only what is addressed to them or their role (followups.selectors).
    "followup.read": EVERYONE,
    "followup.acknowledge": EVERYONE,
    # --- integration care -----------------------------------------------------------------------
    "checkin.read": CLINICIANS,
    "integration_plan.read": CLINICIANS,
    "integration_plan.write": frozenset({THERAPIST, PRESCRIBER}),
    "oncall.read": EVERYONE,
    "oncall.write": frozenset({ADMIN}),
    # --- controlled (the controlled-substance ledger) -------------------------------------------
    # Nurses and prescribers handle stock and witness; the registrant (a prescriber, checked
    # against the registration in the service) signs off; admins read the reports; the front
    # desk and therapists hold none of it.
    "controlled.read": frozenset({ADMIN, NURSE, PRESCRIBER}),
    "controlled.receive": frozenset({NURSE, PRESCRIBER}),
    "controlled.draw": frozenset({NURSE, PRESCRIBER}),
    "controlled.waste": frozenset({NURSE, PRESCRIBER}),
    "controlled.witness": frozenset({NURSE, PRESCRIBER}),
    "controlled.transfer": frozenset({NURSE, PRESCRIBER}),
    "controlled.correct": frozenset({NURSE, PRESCRIBER}),
    "controlled.loss": frozenset({NURSE, PRESCRIBER}),
    "controlled.count": frozenset({NURSE, PRESCRIBER}),
    "controlled.signoff": frozenset({PRESCRIBER}),
    "controlled.report": frozenset({ADMIN, PRESCRIBER}),
    # --- interop (FHIR, documents, exports, calendars, webhooks) --------------------------------
    # What leaves the clinic. FHIR carries the whole chart: clinicians only, never the front desk.
    "fhir.read": CLINICIANS,
    # A clinic-wide export is every patient's chart at once: the prescriber, who answers for it.
    "fhir.bulk_export": frozenset({PRESCRIBER}),
    "document.rems_form": frozenset({NURSE, PRESCRIBER}),
    "document.consent": CLINICIANS,
    "document.rems_enrollment": CLINICIANS,
    "document.session_summary": CLINICIANS,
    # The schedule carries names, not clinical data: whoever reads the schedule may export it.
    "export.schedule": CARE_TEAM,
    # Outcome counts carry no patient data.
    "export.outcomes": frozenset({ADMIN, NURSE, PRESCRIBER, THERAPIST}),
    "export.audit": frozenset({ADMIN}),
    # The accounting of disclosures a patient may ask for (45 CFR 164.528), kept by the privacy officer.
    "export.disclosures": frozenset({ADMIN}),
    # Everyone may subscribe to their own sessions; room calendars are the front desk's and admins'.
    "calendar.manage": EVERYONE,
    "calendar.room_feed": frozenset({ADMIN, SCHEDULER}),
    # Outbound webhooks are configured per clinic by its admins (the secret is shown to them once).
    "webhook.read": frozenset({ADMIN}),
    "webhook.write": frozenset({ADMIN}),
    # Reached without a login (public views): the signed link or the webhook token is the credential.
    "checkin.link": frozenset(),
    "sms.inbound": frozenset(),
    "calendar.feed": frozenset(),
}


def roles_for(operation: str) -> frozenset[str]:
    """Roles allowed to perform `operation`; an unknown operation is allowed to nobody."""
    return PERMISSION_MATRIX.get(operation, frozenset())
