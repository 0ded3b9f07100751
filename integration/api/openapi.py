"""The OpenAPI documentation of integration care: check-in links, check-ins, plans, the on-call list."""

from __future__ import annotations

from integration.api import views
from kat_clinic.api import example_world as w
from kat_clinic.api import examples
from kat_clinic.api.schema import document

PHQ9 = [2, 2, 1, 2, 1, 2, 1, 1, 1]
PLAN = {
    "id": 9,
    "enrollment": w.ENROLLMENT,
    "patient": w.PATIENT,
    "clinic": w.CLINIC,
    "themes": ["grief for her father", "self-compassion"],
    "goals": ["Call her sister weekly", "Return to the running club by April"],
    "practices": ["Ten minutes of breathing practice each morning", "Journal after the integration session"],
    "homework": "Write a letter to her father, not to send; bring it to the next session.",
    "last_session": w.INTEGRATION_SESSION,
    "updated_by": w.THERAPIST,
    "updated_at": "2026-03-04T16:05:00Z",
    "version": 2,
}
CRISIS_MESSAGE = (
    "If you are thinking about harming yourself, call or text 988 now, or call 911. Our on-call clinician has been "
    "told and will contact you."
)

examples.register(
    CheckInLink={"clinic_name": w.CLINIC_NAME, "crisis_line": "988", "scale": "phq9", "answered": False},
    CheckInSubmitRequest={
        "mood_0_10": 4,
        "sleep_hours": "5.5",
        "note": "Hard week; slept badly after the anniversary.",
        "scale": "phq9",
        "scale_answers": PHQ9,
    },
    CheckInReceipt={"id": 733, "received": True, "crisis": {"line": "988", "message": CRISIS_MESSAGE}},
    CheckIn={
        "id": 733,
        "patient": w.PATIENT,
        "clinic": w.CLINIC,
        "followup": 1201,
        "mood_0_10": 4,
        "sleep_hours": "5.5",
        "note": "Hard week; slept badly after the anniversary.",
        "scale": "phq9",
        "scale_answers": PHQ9,
        "scale_total": 13,
        "risk_flagged": True,
        "risk_reason": "PHQ-9 item 9 answered 1 (thoughts of self-harm).",
        "submitted_at": "2026-03-07T01:12:00Z",
    },
    IntegrationPlan=PLAN,
    IntegrationPlanWriteRequest={
        "enrollment": w.ENROLLMENT,
        "session": w.INTEGRATION_SESSION,
        "expected_version": 1,
        "themes": PLAN["themes"],
        "goals": PLAN["goals"],
        "practices": PLAN["practices"],
        "homework": PLAN["homework"],
    },
    IntegrationPlanEvent={
        "version": 2,
        "themes": PLAN["themes"],
        "goals": PLAN["goals"],
        "practices": PLAN["practices"],
        "homework": PLAN["homework"],
        "last_session": w.INTEGRATION_SESSION,
        "updated_by": w.THERAPIST,
        "updated_at": PLAN["updated_at"],
        "event": "update",
    },
    OnCallEntry={"id": 3, "clinic": w.CLINIC, "staff": w.PRESCRIBER, "staff_name": "Priya Shah, MD", "position": 1},
    OnCallReplaceRequest={"clinic": w.CLINIC, "staff": [w.PRESCRIBER, w.NURSE]},
)

document(
    views.CheckInLinkView,
    tag="Patient check-in links",
    get={
        "summary": "Open a check-in link",
        "description": "What a patient's signed check-in link asks for: the clinic's name, its crisis line, the "
        "rating scale requested (if the link is a scale request, e.g. `phq9`) and whether it was already answered. "
        "No login: the signed, expiring token in the path is the credential, for this patient only; an invalid or "
        "expired link answers 403 `link_invalid`. A browser asking for HTML is sent on to the check-in page.",
    },
    post={
        "summary": "Submit a check-in",
        "description": "The patient's mood (0-10), sleep, a note and, when requested, the scale's answers. A link "
        "answers once (409 `already_answered` after). A check-in that signals risk (PHQ-9 item 9 above 0, a positive "
        "C-SSRS), or that the clinic's review rule flags (a mood at or below its threshold, one of its risk words in "
        "the note), answers at once with the clinic's crisis line in `crisis` and raises a clinical alert in the "
        "same transaction, which pages the on-call list; otherwise `crisis` is null.",
    },
)
document(
    views.CheckInViewSet,
    tag="Integration care",
    list={
        "summary": "List patients' check-ins",
        "description": "Check-ins patients sent through their links: mood, sleep, note, scale answers and total, and "
        "whether they signalled risk (with why). Filter by `patient`, `clinic` or `risk_flagged`.",
    },
    retrieve={
        "summary": "Get one check-in",
        "description": "One check-in with the follow-up that asked for it (if any) and its risk assessment.",
    },
)
document(
    views.IntegrationPlanViewSet,
    tag="Integration care",
    list={
        "summary": "List integration plans",
        "description": "Each enrollment's integration plan (themes, goals, practices, homework) at its current "
        "version. Filter by `enrollment`, `patient` or `clinic`.",
    },
    retrieve={
        "summary": "Get one integration plan",
        "description": "One plan at its current version, with the integration session it was last updated in.",
    },
    create={
        "summary": "Write an integration plan's next version",
        "description": "Creates the enrollment's plan, or writes its next version: the fields sent replace theirs, "
        "the others are kept, and `version` goes up by one. Send the `version` you read as `expected_version` to "
        "refuse a lost update (412 when the plan moved on meanwhile). Answers 200 with the plan.",
    },
    history={
        "summary": "List an integration plan's versions",
        "description": "Every version of the plan, oldest first, each with who wrote it and when (`event` is "
        "`insert` for the first, `update` after). A plain array.",
    },
)
document(
    views.OnCallViewSet,
    tag="Integration care",
    list={
        "summary": "List the on-call list",
        "description": "Each clinic's on-call list for clinical alerts, in order: the first is paged first, the next "
        "after the clinic's escalation minutes. Filter by `clinic`.",
    },
    replace={
        "summary": "Replace a clinic's on-call list",
        "description": "Sets the clinic's whole on-call list in one write, in paging order (`staff`: ids of "
        "clinicians of the clinic). Answers the new list as a plain array.",
    },
)
