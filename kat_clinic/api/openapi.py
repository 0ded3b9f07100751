"""The OpenAPI documentation of the clinic's own operations: authentication, clinics, rooms, staff,
patients, break-glass and the audit trail (summaries, descriptions for integrators, examples)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample

from kat_clinic.api import example_world as w
from kat_clinic.api import examples, views
from kat_clinic.api.schema import document

CLINIC = {
    "id": w.CLINIC,
    "name": w.CLINIC_NAME,
    "slug": "midtown",
    "timezone": w.TIMEZONE,
    "address": "100 Example Avenue, New York, NY 10016",
    "phone": "+1 212 555 0100",
    "nurse_shared_capacity": 3,
    "crisis_line": "988",
    "patient_facing_name": "Midtown Clinic",
    "message_problem": "",
    "message_problem_at": None,
    "reminder_offset_hours": 24,
    "quiet_hours_start": "21:00:00",
    "quiet_hours_end": "08:00:00",
    "active": True,
    "certifications": [
        {
            "id": 1,
            "kind": "esketamine_rems",
            "identifier": "REMS-HCS-0042",
            "valid_from": "2025-01-01",
            "expires_on": "2028-12-31",
        }
    ],
}
ROOM = {
    "id": w.TREATMENT_ROOM,
    "clinic": w.CLINIC,
    "name": "Treatment Room 1",
    "kind": "treatment_room",
    "capabilities": ["monitored", "therapy"],
    "active": True,
}
STAFF = {
    "id": w.NURSE,
    "username": "nkim",
    "first_name": "Noah",
    "last_name": "Kim",
    "credentials_suffix": "RN",
    "npi": "1598765432",
    "phone": "+1 212 555 0144",
    "active": True,
    "licences": [
        {
            "id": 4,
            "kind": "rn",
            "state": "NY",
            "number": "RN-712345",
            "issued_on": "2019-06-01",
            "expires_on": "2027-05-31",
        }
    ],
    "memberships": [{"clinic": w.CLINIC, "role": "nurse"}],
}
PATIENT = {
    "id": w.PATIENT,
    "mrn": "MK-000042",
    "home_clinic": w.CLINIC,
    "first_name": "Avery",
    "last_name": "Bennett",
    "preferred_name": "",
    "date_of_birth": "1986-04-17",
    "sex_at_birth": "female",
    "pronouns": "she/her",
    "phone": "+1 212 555 0142",
    "email": "avery.bennett@example.org",
    "address": "12 West 31st Street, Apt 4B, New York, NY 10001",
    "preferred_language": "en",
    "emergency_contact_name": "Jordan Bennett",
    "emergency_contact_phone": "+1 212 555 0199",
    "emergency_contact_relationship": "spouse",
    "sms_opt_in": True,
    "email_opt_in": True,
    "created_at": "2026-02-09T16:20:31Z",
}
WEIGHT = {"id": 77, "weight_kg": "68.4", "measured_at": "2026-02-23T15:05:00Z", "recorded_by": w.NURSE}
AUDIT_EVENT = {
    "id": 90412,
    "occurred_at": "2026-03-02T14:31:07Z",
    "user_id": 4,
    "username": "nkim",
    "roles": ["nurse"],
    "clinic_id": w.CLINIC,
    "action": "create",
    "operation": "vital.write",
    "method": "POST",
    "path": "/api/v1/chart/vitals/",
    "resource_type": "vital_sign",
    "resource_ids": [5121],
    "patient_ids": [w.PATIENT],
    "outcome": "success",
    "status_code": 201,
    "request_id": "5f0c6b1e-8a4d-4c1f-9a57-0b7a2f3c9d12",
    "client_request_id": "",
    "ip": "10.20.0.15",
    "break_glass": False,
}

examples.register(
    Clinic=CLINIC,
    PatchedClinicRequest={"reminder_offset_hours": 48, "quiet_hours_start": "20:30", "quiet_hours_end": "08:00"},
    Room=ROOM,
    PatchedRoomRequest={"active": False},
    StaffMember=STAFF,
    Patient=PATIENT,
    PatchedPatientRequest={"phone": "+1 212 555 0177", "sms_opt_in": False},
    PatientWeight=WEIGHT,
    AuditEvent=AUDIT_EVENT,
    Me={
        "id": 9,
        "username": "nkim",
        "staff_id": w.NURSE,
        "name": "Noah Kim, RN",
        "clinics": [{"id": w.CLINIC, "name": w.CLINIC_NAME, "timezone": w.TIMEZONE, "roles": ["nurse"]}],
    },
    LoginRequest={"username": "nkim", "password": "correct horse battery staple", "otp": "492039"},
    Token={
        "token": "9f3b0c5e1d2a4b6c8e7f9a1b3c5d7e9f0a2b4c6d8e0f1a3b5c7d9e1f3a5b7c9d",
        "expiry": "2026-03-02T14:45:00Z",
    },
    BreakGlassRequestRequest={
        "patient": 318,
        "reason": "Patient arrived at Midtown in crisis; home clinic closed; need allergy list and last dose.",
    },
    BreakGlassGrant={"id": 21, "patient": 318, "expires_at": "2026-03-02T15:30:00Z"},
)

WRONG_PASSWORD = OpenApiExample(
    "Wrong username or password",
    response_only=True,
    status_codes=["401"],
    value={
        "type": "urn:kat-clinic:problem:invalid_credentials",
        "title": "Not authenticated",
        "status": 401,
        "detail": "Wrong username or password.",
        "instance": "/api/v1/auth/login/",
        "errors": {},
    },
)
OTP_REQUIRED = OpenApiExample(
    "A clinical role without its one-time code",
    response_only=True,
    status_codes=["401"],
    value={
        "type": "urn:kat-clinic:problem:otp_required",
        "title": "Not authenticated",
        "status": 401,
        "detail": "A valid one-time code from your authenticator is required.",
        "instance": "/api/v1/auth/login/",
        "errors": {"otp": ["Enter the 6-digit code from your authenticator app."]},
    },
)

document(
    views.LoginView,
    tag="Authentication",
    post={
        "summary": "Log in: exchange credentials for a token",
        "description": "Send `username` and `password`; prescribers, nurses and therapists also send `otp`, the "
        "6-digit code of their authenticator app. The answer is a token to send as `Authorization: Token <token>` "
        "and its `expiry`: the token lapses after 30 minutes without a call (each call pushes `expiry` on) and 12 "
        "hours after login at the latest. A wrong password answers 401 `invalid_credentials`, a missing or wrong "
        "code 401 `otp_required`, any code within seconds of a wrong one 401 `otp_throttled` saying how long to "
        "wait (1 s, then 2, 4...); after repeated failures the username is locked for a while (429 `locked_out`).",
        "examples": [WRONG_PASSWORD, OTP_REQUIRED],
    },
)
document(
    views.LogoutView,
    tag="Authentication",
    post={
        "summary": "Log out: revoke this token",
        "description": "Revokes the token the request is made with, at once; other tokens of the same user (other "
        "devices) stay valid. Answers 204 with no body.",
    },
)
document(
    views.MeView,
    tag="Authentication",
    get={
        "summary": "Who you are: your clinics, their time zones and your roles",
        "description": "The signed-in user, their staff record, and per clinic they work at its name, its IANA "
        "time zone (show and enter that clinic's times in it) and the roles they hold there. Call it after login "
        "to choose a clinic and to know which operations to offer.",
    },
)
document(
    views.ClinicViewSet,
    tag="Clinics and staff",
    list={
        "summary": "List your clinics",
        "description": "The clinics where you hold a role, with their time zone, contact details, the crisis line "
        "shown to patients, reminder lead time, quiet hours (local wall-clock, no messages to patients inside "
        "them) and certifications such as the esketamine REMS site certification.",
    },
    retrieve={
        "summary": "Get one clinic",
        "description": "One clinic's settings and certifications. A clinic where you hold no role answers 404.",
    },
    update={
        "summary": "Replace a clinic's settings",
        "description": "Replaces every writable setting of the clinic (name, time zone, address, phone, nurse "
        "shared capacity, crisis line, reminder lead time, quiet hours). `slug`, `active` and certifications are "
        "managed by the operator, not through the API. A time zone must be an IANA name (`America/Chicago`); "
        "the clinic's local times (quiet hours, working hours, the day board's day) are read in it from then on.",
    },
    partial_update={
        "summary": "Change some of a clinic's settings",
        "description": "Changes only the settings sent, e.g. the reminder lead time or the quiet hours "
        "(`HH:MM`, local). Same rules as a full update.",
        "examples": [
            examples.response(
                {**CLINIC, "reminder_offset_hours": 48, "quiet_hours_start": "20:30:00", "quiet_hours_end": "08:00:00"}
            )
        ],
    },
)
document(
    views.RoomViewSet,
    tag="Clinics and staff",
    list={
        "summary": "List rooms and chairs",
        "description": "Treatment rooms, infusion and recovery chairs and consult rooms of your clinics, with their "
        "capabilities (`monitored`, `recovery`, `iv`, `therapy`) that program steps require. Filter by `clinic`, "
        "`kind` or `active`.",
    },
    create={
        "summary": "Add a room or chair",
        "description": "Adds a room to one of your clinics. Its kind and capabilities decide which sessions may be "
        "booked in it (a dosing step needing a `monitored` room never lands in a consult room).",
    },
    retrieve={
        "summary": "Get one room",
        "description": "One room or chair with its kind, its capabilities and whether it is in service.",
    },
    update={
        "summary": "Replace a room",
        "description": "Replaces the room's name, kind, capabilities and active flag. Deactivating a room keeps its "
        "booked sessions; search and booking no longer offer it.",
    },
    partial_update={
        "summary": "Change a room",
        "description": "Changes the fields sent, e.g. `active: false` to take a room out of service for new bookings.",
        "examples": [examples.response({**ROOM, "active": False})],
    },
)
document(
    views.StaffViewSet,
    tag="Clinics and staff",
    list={
        "summary": "List staff",
        "description": "Staff of your clinics with their licences (kind, state, number, expiry) and their roles "
        "per clinic. Staff records are maintained by administrators in the admin site.",
    },
    retrieve={
        "summary": "Get one staff member",
        "description": "One staff member with licences and memberships. Someone with no role at your clinics "
        "answers 404.",
    },
)
document(
    views.PatientViewSet,
    tag="Patients",
    list={
        "summary": "List or search patients",
        "description": "Patients whose home clinic is one of yours. `search` matches the start of the first or "
        "last name, or the exact MRN; filter by `home_clinic` or `mrn`. Demographics and contacts only: clinical "
        "records are under Charting and out of the front desk's reach. Each patient listed is recorded in the "
        "audit trail.",
    },
    create={
        "summary": "Register a patient",
        "description": "Registers a patient at one of your clinics. The MRN is unique within the organisation "
        "(409 `duplicate` otherwise). `sms_opt_in` and `email_opt_in` decide whether reminders and check-in links "
        "are sent on that channel; a patient texting STOP opts out of SMS.",
    },
    retrieve={
        "summary": "Get one patient",
        "description": "One patient's demographics and contacts. A patient of another clinic answers 404 unless "
        "you opened them with break-glass in the last hour (then the read is flagged for review).",
    },
    update={
        "summary": "Replace a patient's demographics",
        "description": "Replaces demographics and contacts. The home clinic cannot be changed here (moving a "
        "patient changes who may read the record: an administrator's task).",
    },
    partial_update={
        "summary": "Change a patient's demographics",
        "description": "Changes only the fields sent, e.g. a new phone number or an SMS opt-out.",
        "examples": [examples.response({**PATIENT, "phone": "+1 212 555 0177", "sms_opt_in": False})],
    },
    weights={
        "summary": "List a patient's weights",
        "description": "Every recorded body weight of the patient, newest first, as a plain array. Dosing in mg/kg "
        "uses the latest weight, which must be recent enough for the program's prerequisite.",
    },
    record_weight={
        "summary": "Record a patient's weight",
        "description": "Records a body weight in kg (1.0 to 499.9, one decimal, as a string) measured at "
        "`measured_at` (not in the future). The recording nurse or prescriber is taken from the token.",
    },
)
document(
    views.BreakGlassView,
    tag="Audit",
    post={
        "summary": "Break glass: open a patient outside your clinics",
        "description": "In an emergency a clinician may read one patient of another clinic of the organisation for "
        "one hour, giving a written reason. Every access under the grant is flagged in the audit trail for review "
        "by the patient's clinic. A patient outside the organisation answers 404.",
    },
)
document(
    views.AuditEventViewSet,
    tag="Audit",
    list={
        "summary": "Read the audit trail",
        "description": "Who did what, when, from where and with what outcome, for the clinics you administer, "
        "newest first: one row per API call that touched a record, with the patients concerned. Filter by "
        "`patient`, `user`, `since` / `until` (date-times), `outcome` or `break_glass`. Rows hold ids, never record "
        "values.",
    },
)
