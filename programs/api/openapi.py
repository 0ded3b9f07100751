"""The OpenAPI documentation of program templates and enrollments."""

from __future__ import annotations

import copy

from kat_clinic.api import example_world as w
from kat_clinic.api import examples
from kat_clinic.api.schema import document
from programs.api import views


def _need(role: str, mode: str, end: int) -> dict:
    return {"role": role, "mode": mode, "start_offset_minutes": 0, "end_offset_minutes": end}


def _step(step_id: int, position: int, phase: str, kind: str, label: str, count: int, minutes: int, block: int, **kw):
    return {
        "id": step_id,
        "position": position,
        "phase": phase,
        "kind": kind,
        "label": label,
        "count": count,
        "session_minutes": minutes,
        "block_minutes": block,
        "room_kind": kw.get("room_kind", ""),
        "room_capability": kw.get("room_capability", ""),
        "telehealth_allowed": kw.get("telehealth_allowed", False),
        "medication": kw.get("medication", ""),
        "route": kw.get("route", ""),
        "dose_mg_per_kg": kw.get("dose_mg_per_kg"),
        "dose_mg": None,
        "first_dose_mg": None,
        "infusion_minutes": None,
        "staff_needs": kw["staff_needs"],
    }


# The KAT program an administrator creates with the request example of POST /program-templates/,
# here once published.
TEMPLATE = {
    "id": w.TEMPLATE,
    "family": "3f1c2b9e-7d4a-4e8b-9a61-2c5d8e0f7a13",
    "name": w.TEMPLATE_NAME,
    "description": "One preparation, then three IM dosing sessions, each followed by an integration session "
    "one to three days later.",
    "pathway": "kat",
    "clinic": None,
    "version": 1,
    "state": "published",
    "published_at": "2026-01-12T15:00:00Z",
    "retired_at": None,
    "created_by": w.ADMIN,
    "created_at": "2026-01-12T14:32:10Z",
    "steps": [
        _step(
            21,
            1,
            "preparation",
            "preparation",
            "Preparation",
            1,
            60,
            60,
            room_kind="consult_room",
            room_capability="therapy",
            telehealth_allowed=True,
            staff_needs=[_need("therapist", "exclusive", 60)],
        ),
        _step(
            22,
            2,
            "induction",
            "dosing",
            "Dosing (IM)",
            3,
            120,
            150,
            room_kind="treatment_room",
            room_capability="monitored",
            medication="ketamine",
            route="im",
            dose_mg_per_kg="0.750",
            staff_needs=[
                _need("therapist", "exclusive", 150),
                _need("nurse", "shared", 100),
                _need("prescriber", "present", 150),
            ],
        ),
        _step(
            23,
            3,
            "integration",
            "integration",
            "Integration",
            3,
            60,
            60,
            room_kind="consult_room",
            room_capability="therapy",
            telehealth_allowed=True,
            staff_needs=[_need("therapist", "exclusive", 60)],
        ),
    ],
    "rules": [
        {
            "id": 31,
            "kind": "prep_before_first_dosing",
            "step_position": 1,
            "min_interval": None,
            "max_interval": None,
            "max_count": None,
            "period": None,
        },
        {
            "id": 32,
            "kind": "integration_window",
            "step_position": 3,
            "min_interval": "1 00:00:00",
            "max_interval": "3 00:00:00",
            "max_count": None,
            "period": None,
        },
        {
            "id": 33,
            "kind": "dosing_weekly_cap",
            "step_position": 2,
            "min_interval": None,
            "max_interval": None,
            "max_count": 2,
            "period": "7 00:00:00",
        },
    ],
    "prerequisites": [
        {"kind": "consent", "max_age_days": None},
        {"kind": "contraindication_screen", "max_age_days": None},
        {"kind": "ride_confirmed", "max_age_days": None},
        {"kind": "weight_recent", "max_age_days": 30},
    ],
    "scale_schedule": [
        {"scale": "phq9", "timing": "baseline", "interval_days": None},
        {"scale": "phq9", "timing": "before_each_dosing", "interval_days": None},
    ],
}
DRAFT = {**copy.deepcopy(TEMPLATE), "state": "draft", "published_at": None}
DRAFT_V2 = {
    **copy.deepcopy(DRAFT),
    "id": 15,
    "version": 2,
    "created_at": "2026-03-05T10:02:44Z",
    "steps": [{**step, "id": 40 + i} for i, step in enumerate(TEMPLATE["steps"])],
    "rules": [{**rule, "id": 50 + i} for i, rule in enumerate(TEMPLATE["rules"])],
}
RETIRED = {**copy.deepcopy(TEMPLATE), "state": "retired", "retired_at": "2026-03-05T10:20:00Z"}

ENROLLMENT = {
    "id": w.ENROLLMENT,
    "patient": w.PATIENT,
    "template": w.TEMPLATE,
    "template_name": w.TEMPLATE_NAME,
    "template_version": 1,
    "clinic": w.CLINIC,
    "pathway": "kat",
    "status": "active",
    "status_reason": "",
    "status_changed_at": "2026-02-16T15:40:00Z",
    "status_changed_by": w.FRONT_DESK,
    "enrolled_by": w.FRONT_DESK,
    "enrolled_at": "2026-02-16T15:40:00Z",
}
PAUSED = {
    **ENROLLMENT,
    "status": "paused",
    "status_reason": "Travelling for three weeks; resume on return.",
    "status_changed_at": "2026-03-06T16:05:00Z",
}
PLANNED = [
    {
        "id": 87,
        "sequence": 1,
        "step": 21,
        "step_label": "Preparation",
        "occurrence": 1,
        "kind": "preparation",
        "status": "completed",
        "status_changed_at": "2026-02-24T16:05:00Z",
        "linked_dosing": None,
        "window_min": None,
        "window_max": None,
    },
    {
        "id": w.PLANNED_DOSING,
        "sequence": 2,
        "step": 22,
        "step_label": "Dosing (IM)",
        "occurrence": 1,
        "kind": "dosing",
        "status": "booked",
        "status_changed_at": "2026-02-16T15:41:00Z",
        "linked_dosing": None,
        "window_min": None,
        "window_max": None,
    },
    {
        "id": w.PLANNED_INTEGRATION,
        "sequence": 3,
        "step": 23,
        "step_label": "Integration",
        "occurrence": 1,
        "kind": "integration",
        "status": "booked",
        "status_changed_at": "2026-02-16T15:41:00Z",
        "linked_dosing": w.PLANNED_DOSING,
        "window_min": "1 00:00:00",
        "window_max": "3 00:00:00",
    },
]

examples.register(
    ProgramTemplate=TEMPLATE,
    PatchedProgramTemplateRequest={"description": "Three IM dosing sessions with an integration after each."},
    Enrollment=ENROLLMENT,
    EnrollmentCreateRequest={"patient": w.PATIENT, "template": w.TEMPLATE},
    EnrollmentStatusChangeRequest={"reason": "Travelling for three weeks; resume on return."},
    PlannedSession=PLANNED[2],
)

TAG_TEMPLATES, TAG_ENROLLMENTS = "Program templates", "Enrollments"

document(
    views.ProgramTemplateViewSet,
    tag=TAG_TEMPLATES,
    list={
        "description": "Templates you can enroll patients in or edit: those offered at every clinic of the "
        "organisation (`clinic` null) and those of your clinics. Each lists its steps (sessions with kind, count, "
        "durations, room and staff needs, dose), rules (order, windows, caps), prerequisites of each dosing session "
        "and rating-scale schedule. Filter by `pathway`, `state`, `clinic` or `family` (all versions of one "
        "template)."
    },
    retrieve={
        "description": "One version of a template with all its parts. Enrollments keep the version they were made "
        "with, so an id names content that never changes once published."
    },
    create={
        "description": "Creates a draft (version 1 of a new family) with all its parts in one write, checked as a "
        "whole: every refusal names its field by dotted path (`steps.1.block_minutes`). Intervals are ISO 8601 "
        "durations (`P1D`) and answer as `D HH:MM:SS`. A draft is not offered for enrollment until published.",
        "examples": [views.KAT_TEMPLATE_EXAMPLE, views.INVALID_TEMPLATE_EXAMPLE, examples.response(DRAFT)],
    },
    update={
        "description": "Replaces a draft with all its parts. A published or retired version is frozen (409 "
        "`template_frozen`): clone it into a new draft version instead.",
        "examples": [examples.response(DRAFT)],
    },
    partial_update={
        "description": "Changes the fields sent of a draft; a list sent (`steps`, `rules`, `prerequisites`, "
        "`scale_schedule`) replaces the stored list as a whole.",
        "examples": [
            examples.response({**DRAFT, "description": "Three IM dosing sessions with an integration after each."})
        ],
    },
    destroy={
        "description": "Deletes a draft; answers 204 with no body. Published and retired versions are kept for "
        "good (409): retire a published version instead."
    },
    publish={
        "description": "Publishes a draft complete enough to book (422 `template_incomplete` otherwise): from "
        "then on it is frozen in the database and offered for enrollment. The family's previously published "
        "version is retired, and its enrollments keep it."
    },
    clone={
        "description": "Copies this version, with every part, into a new draft version of the same family, to edit "
        "and publish in its place.",
        "examples": [examples.response(DRAFT_V2)],
    },
    retire={
        "description": "Stops offering a published version for new enrollments; enrollments already made keep it.",
        "examples": [examples.response(RETIRED)],
    },
)
document(
    views.EnrollmentViewSet,
    tag=TAG_ENROLLMENTS,
    list={
        "description": "Enrollments at your clinics: a patient in one version of a program, with its status "
        "(`active`, `paused`, `completed`, `withdrawn`). Filter by `patient`, `status`, `template`, `pathway` or "
        "`clinic`."
    },
    retrieve={"description": "One enrollment with its template version and status history fields."},
    create={
        "description": "Enrolls a patient of your clinics in a published template and plans every session it calls "
        "for (to book through Scheduling). A patient has at most one open (active or paused) enrollment per "
        "pathway: another answers 409 `already_enrolled`. A template of another clinic answers 422 "
        "`template_not_offered`."
    },
    pause={
        "description": "Pauses an active enrollment; `reason` is required (422 `reason_required`), and any other "
        "status answers 409 `illegal_transition`. Its planned and booked sessions stay as they are.",
        "examples": [examples.response(PAUSED)],
    },
    resume={
        "description": "Resumes a paused enrollment; `reason` is optional. Any other status answers 409 "
        "`illegal_transition`."
    },
    complete={
        "description": "Completes an active or paused enrollment (`reason` optional): planned sessions still to "
        "book are cancelled and follow-ups still to come for it are called off; booked sessions stay on the "
        "schedule for the front desk to cancel or keep.",
        "examples": [
            examples.request({"reason": "All six sessions held; PHQ-9 in remission."}),
            examples.response(
                {
                    **ENROLLMENT,
                    "status": "completed",
                    "status_reason": "All six sessions held; PHQ-9 in remission.",
                    "status_changed_at": "2026-04-10T17:00:00Z",
                    "status_changed_by": w.PRESCRIBER,
                }
            ),
        ],
    },
    withdraw={
        "description": "Withdraws the patient from an active or paused enrollment; `reason` is required. Planned "
        "sessions still to book are cancelled and follow-ups still to come for it are called off; booked sessions "
        "stay on the schedule for the front desk to cancel or keep.",
        "examples": [
            examples.request({"reason": "Patient chose to stop treatment."}),
            examples.response(
                {
                    **ENROLLMENT,
                    "status": "withdrawn",
                    "status_reason": "Patient chose to stop treatment.",
                    "status_changed_at": "2026-03-09T14:10:00Z",
                }
            ),
        ],
    },
    progress={
        "description": "Per step: planned, completed, booked, still to book and cancelled sessions; the totals; "
        "the next session to book; for maintenance, the window a booster is due in; and the prerequisites each "
        "dosing session requires."
    },
    planned_sessions={
        "summary": "List the planned sessions, in plan order",
        "description": "Every session the plan calls for, in order, with its status (`to_book`, `booked`, "
        "`completed`, `cancelled`); an integration session names the dosing session it follows "
        "(`linked_dosing`) and its window after it (`window_min`, `window_max`). A plain array.",
    },
)
