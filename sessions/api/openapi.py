"""The OpenAPI documentation of scheduling: sessions, the day board, search and program booking."""

from __future__ import annotations

from kat_clinic.api import example_world as w
from kat_clinic.api import examples
from kat_clinic.api.schema import document
from sessions.api import views


def _assignment(assignment_id: int, staff: int, name: str, role: str, mode: str, lane, start: str, end: str) -> dict:
    return {
        "id": assignment_id,
        "staff": staff,
        "staff_name": name,
        "role": role,
        "mode": mode,
        "lane": lane,
        "starts_at": start,
        "ends_at": end,
        "active": True,
    }


SESSION = {
    "id": w.SESSION,
    "clinic": w.CLINIC,
    "patient": w.PATIENT,
    "patient_name": w.PATIENT_NAME,
    "kind": "dosing",
    "status": "scheduled",
    "active": True,
    "starts_at": w.SESSION_START,
    "ends_at": w.SESSION_END,
    "block_starts_at": w.SESSION_START,
    "block_ends_at": w.BLOCK_END,
    "room": w.TREATMENT_ROOM,
    "telehealth": False,
    "planned_session": w.PLANNED_DOSING,
    "enrollment": w.ENROLLMENT,
    "assignments": [
        _assignment(140, w.THERAPIST, "Theo Grant, LCSW", "therapist", "exclusive", None, w.SESSION_START, w.BLOCK_END),
        _assignment(141, w.NURSE, "Noah Kim, RN", "nurse", "shared", 1, w.SESSION_START, "2026-03-02T15:40:00Z"),
        _assignment(142, w.PRESCRIBER, "Priya Shah, MD", "prescriber", "present", None, w.SESSION_START, w.BLOCK_END),
    ],
    "booked_by": w.FRONT_DESK,
    "checked_in_at": None,
    "started_at": None,
    "completed_at": None,
    "cancelled_at": None,
    "cancelled_by": None,
    "cancellation_reason": "",
    "late_cancel": False,
    "no_show_at": None,
    "no_show_by": None,
    "rescheduled_from": None,
    "created_at": "2026-02-16T15:41:00Z",
}
CHECKED_IN = {**SESSION, "status": "checked_in", "checked_in_at": "2026-03-02T13:52:10Z"}
STARTED = {**CHECKED_IN, "status": "in_progress", "started_at": "2026-03-02T14:03:40Z"}
COMPLETED = {**STARTED, "status": "completed", "completed_at": "2026-03-02T16:12:00Z"}
LINKED_CANCELLED = {
    "choice": "cancel",
    "default": "cancel",
    "chosen_by_default": False,
    "choices": ["cancel", "keep"],
    "sessions": [{"id": w.INTEGRATION_SESSION, "status": "cancelled", "starts_at": "2026-03-04T10:00:00-05:00"}],
}
CANCELLED = {
    **SESSION,
    "status": "cancelled",
    "active": False,
    "assignments": [{**a, "active": False} for a in SESSION["assignments"]],
    "cancelled_at": "2026-03-01T22:15:00Z",
    "cancelled_by": w.FRONT_DESK,
    "cancellation_reason": "Patient has a fever; will rebook next week.",
    "late_cancel": True,
    "linked_integration": LINKED_CANCELLED,
}
NO_SHOW = {
    **SESSION,
    "status": "no_show",
    "active": False,
    "assignments": [{**a, "active": False} for a in SESSION["assignments"]],
    "no_show_at": "2026-03-02T14:35:00Z",
    "no_show_by": w.FRONT_DESK,
    "linked_integration": {
        **LINKED_CANCELLED,
        "choice": "keep",
        "sessions": [{"id": w.INTEGRATION_SESSION, "status": "scheduled", "starts_at": "2026-03-04T10:00:00-05:00"}],
    },
}
MOVED_START, MOVED_END, MOVED_BLOCK_END = "2026-03-03T15:00:00Z", "2026-03-03T17:00:00Z", "2026-03-03T17:30:00Z"
RESCHEDULED = {
    **SESSION,
    "id": 61,
    "starts_at": MOVED_START,
    "ends_at": MOVED_END,
    "block_starts_at": MOVED_START,
    "block_ends_at": MOVED_BLOCK_END,
    "assignments": [
        {
            **a,
            "id": 150 + i,
            "starts_at": MOVED_START,
            "ends_at": MOVED_END if a["role"] == "nurse" else MOVED_BLOCK_END,
        }
        for i, a in enumerate(SESSION["assignments"])
    ],
    "rescheduled_from": w.SESSION,
    "created_at": "2026-02-27T16:02:00Z",
}
INTAKE = {
    **SESSION,
    "id": 44,
    "kind": "medical_intake",
    "starts_at": "2026-02-20T15:00:00Z",
    "ends_at": "2026-02-20T15:45:00Z",
    "block_starts_at": "2026-02-20T15:00:00Z",
    "block_ends_at": "2026-02-20T16:00:00Z",
    "room": w.CONSULT_ROOM,
    "planned_session": None,
    "enrollment": None,
    "assignments": [
        _assignment(
            98,
            w.PRESCRIBER,
            "Priya Shah, MD",
            "prescriber",
            "exclusive",
            None,
            "2026-02-20T15:00:00Z",
            "2026-02-20T16:00:00Z",
        )
    ],
    "created_at": "2026-02-09T16:25:00Z",
}
INTEGRATION = {
    **SESSION,
    "id": w.INTEGRATION_SESSION,
    "kind": "integration",
    "starts_at": w.INTEGRATION_START,
    "ends_at": w.INTEGRATION_END,
    "block_starts_at": w.INTEGRATION_START,
    "block_ends_at": w.INTEGRATION_END,
    "room": w.CONSULT_ROOM,
    "planned_session": w.PLANNED_INTEGRATION,
    "assignments": [
        _assignment(
            143, w.THERAPIST, "Theo Grant, LCSW", "therapist", "exclusive", None, w.INTEGRATION_START, w.INTEGRATION_END
        )
    ],
}
STAFF_OF_DOSING = [
    {"role": "therapist", "staff": w.THERAPIST},
    {"role": "nurse", "staff": w.NURSE},
    {"role": "prescriber", "staff": w.PRESCRIBER},
]
OPTION_STAFF = [
    {"role": "therapist", "mode": "exclusive", "staff": w.THERAPIST},
    {"role": "nurse", "mode": "shared", "staff": w.NURSE},
    {"role": "prescriber", "mode": "present", "staff": w.PRESCRIBER},
]
OPTION = {
    "starts_at": w.SESSION_START,
    "ends_at": w.SESSION_END,
    "block_ends_at": w.BLOCK_END,
    "room": w.TREATMENT_ROOM,
    "telehealth": False,
    "staff": OPTION_STAFF,
    "score": 92,
}
DAY_BOARD = {
    "clinic": w.CLINIC,
    "date": w.DAY,
    "timezone": w.TIMEZONE,
    "sessions": [
        {
            "id": w.SESSION,
            "patient": {"id": w.PATIENT, "name": w.PATIENT_NAME},
            "kind": "dosing",
            "status": "checked_in",
            "starts_at": w.SESSION_START,
            "ends_at": w.SESSION_END,
            "block_starts_at": w.SESSION_START,
            "block_ends_at": w.BLOCK_END,
            "room": w.TREATMENT_ROOM,
            "telehealth": False,
            "staff": [
                {
                    "staff": w.THERAPIST,
                    "name": "Theo Grant, LCSW",
                    "role": "therapist",
                    "mode": "exclusive",
                    "lane": None,
                },
                {"staff": w.NURSE, "name": "Noah Kim, RN", "role": "nurse", "mode": "shared", "lane": 1},
                {
                    "staff": w.PRESCRIBER,
                    "name": "Priya Shah, MD",
                    "role": "prescriber",
                    "mode": "present",
                    "lane": None,
                },
            ],
            "linked": [
                {
                    "id": w.INTEGRATION_SESSION,
                    "kind": "integration",
                    "status": "scheduled",
                    "starts_at": w.INTEGRATION_START,
                }
            ],
            "flags": {"late": False, "late_cancel": False, "prerequisite_missing": False, "ride_not_confirmed": True},
            "authorization": "active",
        }
    ],
    "by_room": [{"room": w.TREATMENT_ROOM, "name": "Treatment Room 1", "sessions": [w.SESSION]}],
    "by_staff": [
        {"staff": w.PRESCRIBER, "name": "Priya Shah, MD", "sessions": [w.SESSION]},
        {"staff": w.NURSE, "name": "Noah Kim, RN", "sessions": [w.SESSION]},
        {"staff": w.THERAPIST, "name": "Theo Grant, LCSW", "sessions": [w.SESSION]},
    ],
}
PREFERENCES = {"staff": [w.THERAPIST], "rooms": [], "weekdays": [0, 2, 4], "earliest": "09:00", "latest": "12:00"}

examples.register(
    Session=SESSION,
    SessionReleased=CANCELLED,
    DayBoard=DAY_BOARD,
    Option=OPTION,
    BookSessionRequest={
        "clinic": w.CLINIC,
        "patient": w.PATIENT,
        "kind": "medical_intake",
        "starts_at": "2026-02-20T15:00:00Z",
        "session_minutes": 45,
        "block_minutes": 60,
        "room": w.CONSULT_ROOM,
        "telehealth": False,
        "medication": "",
        "staff": [{"role": "prescriber", "staff": w.PRESCRIBER, "mode": "exclusive"}],
    },
    BookPlannedRequest={
        "planned_session": w.PLANNED_DOSING,
        "starts_at": w.SESSION_START,
        "room": w.TREATMENT_ROOM,
        "telehealth": False,
        "staff": STAFF_OF_DOSING,
    },
    CancelRequest={"reason": "Patient has a fever; will rebook next week.", "linked_integration": "cancel"},
    NoShowRequest={"linked_integration": "keep"},
    RescheduleRequest={"starts_at": MOVED_START, "room": w.TREATMENT_ROOM, "staff": STAFF_OF_DOSING},
    RescheduleTogetherRequest={
        "moves": [
            {
                "session": w.SESSION,
                "starts_at": MOVED_START,
                "room": w.TREATMENT_ROOM,
                "telehealth": False,
                "staff": STAFF_OF_DOSING,
            },
            {
                "session": w.INTEGRATION_SESSION,
                "starts_at": "2026-03-05T15:00:00Z",
                "room": w.CONSULT_ROOM,
                "telehealth": False,
                "staff": [{"role": "therapist", "staff": w.THERAPIST}],
            },
        ]
    },
    SearchRequest={
        "clinic": w.CLINIC,
        "patient": w.PATIENT,
        "planned_session": w.PLANNED_DOSING,
        "date_from": "2026-03-02",
        "date_to": "2026-03-06",
        "preferences": PREFERENCES,
        "limit": 3,
    },
    ProgramBookingRequest={
        "enrollment": w.ENROLLMENT,
        "date_from": "2026-02-23",
        "horizon_days": 42,
        "preview": True,
        "preferences": PREFERENCES,
    },
    ProgramBookingResult={
        "preview": True,
        "proposal": [
            {**OPTION, "planned_session": w.PLANNED_DOSING, "sequence": 2},
            {
                "starts_at": w.INTEGRATION_START,
                "ends_at": w.INTEGRATION_END,
                "block_ends_at": w.INTEGRATION_END,
                "room": w.CONSULT_ROOM,
                "telehealth": False,
                "staff": [{"role": "therapist", "mode": "exclusive", "staff": w.THERAPIST}],
                "score": 88,
                "planned_session": w.PLANNED_INTEGRATION,
                "sequence": 3,
            },
        ],
        "sessions": [],
    },
)

TAG = "Sessions"
REFUSALS = (
    "A clash with another booking of the room, the patient or a staff member answers 409 `overlap` with the "
    "`conflicts` (resource, id, the other session, the overlapping range); a program rule (order, window, weekly "
    "cap, a staff member off duty or unlicensed) answers 422 with its `type` and `violations`."
)

document(
    views.SessionViewSet,
    tag=TAG,
    list={
        "summary": "List booked sessions",
        "description": "Booked sessions of your clinics with their staff assignments, in order of start. Sessions "
        "carry no clinical data. Filter by `clinic`, `patient`, `status`, `kind`, `room`, `enrollment`, "
        "`planned_session`, `staff`, or a range of block starts (`starts_after`, `starts_before`).",
    },
    retrieve={
        "summary": "Get one session",
        "description": "One session with its times, room, staff assignments and status history fields.",
    },
    create={
        "summary": "Book an ad-hoc session",
        "description": "Books a session outside any program (a medical intake, a check-in visit): the clinic, "
        "patient, kind, start, session and block minutes (the block includes monitoring and recovery), a room "
        "unless by telehealth, and the staff needed for the whole block. " + REFUSALS,
        "examples": [examples.response(INTAKE)],
    },
    book_planned={
        "summary": "Book one planned session of an enrollment",
        "description": "Books a session the enrollment's plan calls for, with the staff per role the step needs; "
        "durations, room kind and staff modes come from the program step. " + REFUSALS,
    },
    check_in={
        "summary": "Check a patient in",
        "description": "Marks the patient arrived (`scheduled` to `checked_in`), only inside the clinic's window "
        "around the booked start (422 `outside_status_window`). Repeating it is a no-op; from another status it "
        "answers 409 `illegal_transition` with the `current_status`.",
        "examples": [examples.response(CHECKED_IN)],
    },
    start={
        "summary": "Start a session",
        "description": "A clinician starts the session (`checked_in` to `in_progress`), which opens its chart. "
        "Refused outside the clinic's window (422) and while a session it depends on (the preparation before a "
        "first dosing) is not completed (409 `dependencies_not_completed`).",
        "examples": [examples.response(STARTED)],
    },
    complete={
        "summary": "Complete a session",
        "description": "A clinician completes the session (`in_progress` to `completed`). For a dosing session the "
        "discharge criteria must be met first (monitoring time, vital signs, MOAA/S, escort): 422 listing what is "
        "`unmet` otherwise. Completing plans the follow-ups that come after the session.",
        "examples": [examples.response(COMPLETED)],
    },
    cancel={
        "summary": "Cancel a session",
        "description": "Cancels a scheduled or checked-in session with a `reason`, freeing room, patient and staff; "
        "`late_cancel` is set inside the clinic's late-cancel window (24 hours unless the clinic set another). For "
        "a dosing session, `linked_integration` says what to do with its booked integration session: `cancel` (the "
        "default) or `keep`; the answer's `linked_integration` states what was done.",
    },
    no_show={
        "summary": "Mark a patient absent",
        "description": "Marks a scheduled session `no_show`, once its start has passed (422 "
        "`no_show_before_start` before). A dosing session's booked integration is cancelled or kept as for a "
        "cancellation.",
        "examples": [examples.response(NO_SHOW)],
    },
    reschedule={
        "summary": "Move a session",
        "description": "Moves a scheduled session to a new start (and optionally room and staff): the old booking "
        "is released and a new session answers 201 with `rescheduled_from`. Moving a dosing session so that its "
        "integration would leave its window answers 422 `integration_window` with a `proposal` of moves for both: "
        "send them to `reschedule-together`. " + REFUSALS,
        "examples": [examples.response(RESCHEDULED)],
    },
    reschedule_together={
        "summary": "Move linked sessions together",
        "description": "Moves up to ten sessions in one transaction, all or nothing: typically a dosing session and "
        "its integration session, whose window is checked against the dosing's new time. Answers the new "
        "sessions. " + REFUSALS,
        "examples": [
            examples.response(
                {
                    **RESCHEDULED,
                    "planned_session": w.PLANNED_DOSING,
                }
            )
        ],
    },
)
document(
    views.SearchView,
    tag="Scheduling",
    post={
        "summary": "Search free slots for a session",
        "description": "Feasible options, best first, for a planned session (its step gives the durations, room and "
        "staff needs) or for a session kind with its minutes and `needs`, between two local dates (at most 62 "
        "days). Each option names the start, room and staff per role, and respects working hours, licences, every "
        "booking and the program's rules; `preferences` (staff, rooms, weekdays, earliest and latest local start) "
        "rank the options. Nothing is booked.",
    },
)
document(
    views.ProgramBookingView,
    tag="Scheduling",
    post={
        "summary": "Book a whole program at once",
        "description": "Places every session of the enrollment still to book, in plan order, within `horizon_days` "
        "of `date_from`, honouring the program's rules (windows, gaps, weekly caps) and `preferences`. With "
        "`preview: true` it answers the `proposal` and books nothing; otherwise it books them all in one "
        "transaction, or none (422 `program_unschedulable` naming the session that cannot be placed, 409 on a "
        "clash).",
    },
)
document(
    views.DayBoardView,
    tag="Scheduling",
    get={
        "summary": "Get a clinic's day board",
        "description": "Every session of one local day of a clinic (`date` in the clinic's time zone, which the "
        "answer repeats), grouped by room and by staff member, with the patient, kind, status, staff, linked "
        "sessions and front-desk flags (`late`, `late_cancel`, `prerequisite_missing`: a consent, reviewed "
        "contraindication screen, REMS enrollment or prior authorization a dosing session needs is not in place "
        "for its date; `ride_not_confirmed`: no escort name and phone yet), and `authorization`, the prior "
        "authorization's status only (`active`, `missing`, `not_required`). No clinical detail is shown. A "
        "daylight-saving day is 23 or 25 hours long and counted so.",
    },
)
