"""The small world every example in the OpenAPI document is drawn from, so that examples agree with
each other: the patient of a session example is the patient of the patient example, and so on.

Midtown Ketamine Clinic (America/New_York). On Monday 2 March 2026 (EST, UTC-5) Avery Bennett has
the first IM dosing session of a KAT program at 09:00 local (14:00Z) in Treatment Room 1, with
therapist Theo Grant, nurse Noah Kim and prescriber Priya Shah; the integration session follows on
Wednesday 4 March. Ids are those of this world, not of any real database.
"""

from __future__ import annotations

ORGANIZATION = 1
CLINIC = 1
CLINIC_NAME = "Midtown Ketamine Clinic"
TIMEZONE = "America/New_York"

TREATMENT_ROOM = 1
INFUSION_CHAIR = 3
CONSULT_ROOM = 5

ADMIN = 1
FRONT_DESK = 2
PRESCRIBER = 3
NURSE = 4
THERAPIST = 6

PATIENT = 42
PATIENT_NAME = "Avery Bennett"
TEMPLATE = 7
TEMPLATE_NAME = "KAT, six sessions (IM)"
ENROLLMENT = 12
PLANNED_DOSING = 88
PLANNED_INTEGRATION = 89
SESSION = 57  # the dosing session
INTEGRATION_SESSION = 58
NOTE = 31
SCALE_RESPONSE = 64

DAY = "2026-03-02"
SESSION_START = "2026-03-02T14:00:00Z"
SESSION_END = "2026-03-02T16:00:00Z"  # the session's 120 minutes; the block runs to 16:30
BLOCK_END = "2026-03-02T16:30:00Z"
INTEGRATION_START = "2026-03-04T15:00:00Z"
INTEGRATION_END = "2026-03-04T16:00:00Z"
RECORDED_AT = "2026-02-23T15:12:09Z"
