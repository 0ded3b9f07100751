"""Charting operations: summaries and descriptions for integrators (examples in `world`)."""

from __future__ import annotations

from kat_clinic.api import examples
from kat_clinic.api.schema import document
from monitoring.api import serializers as s
from monitoring.api import views
from monitoring.api.openapi import world

SESSION_ROWS = "Filter by `session`."
TIMED = (
    "Times must fall within the session (from its booked start to a little after now); one outside answers 422 "
    "naming the field."
)


def entered_in_error(serializer, what: str) -> dict:
    """The shared `entered-in-error/` action: it answers the entry, marked."""
    return {
        "summary": f"Mark a {what} entered in error",
        "description": f"Marks the {what} as entered in error with a `reason` (10 characters or more): the row is "
        "kept, flagged with who, when and why, and no longer counts (thresholds, caps, discharge, REMS). Its author "
        "marks their own entry; someone else's needs a prescriber. Marking it twice answers 409 `already_in_error`.",
        "responses": {200: serializer},
    }


def created(what: str, extra: str = "") -> dict:
    return {"description": f"Records {what}; the recording staff member is taken from the token. {extra}".strip()}


def record_docs(noun: str, plural: str, about: str, created_example: dict | None = None) -> dict:
    """The three operations of a patient-level record (allergy, diagnosis, ...)."""
    created_examples = {"examples": [examples.response(created_example)]} if created_example else {}
    return {
        "list": {
            "summary": f"List {plural}",
            "description": f"{about} Records of patients of your clinics; filter by `patient`.",
        },
        "create": {
            "summary": f"Record {noun}",
            "description": f"{about} The recording staff member is taken from the token.",
            **created_examples,
        },
        "retrieve": {
            "summary": f"Get one {noun.removeprefix('a ').removeprefix('an ')}",
            "description": f"{about} A record of a patient outside your clinics answers 404.",
        },
    }


CHART = "Charting: session chart"
VITALS = "Charting: vital signs and scores"
DOSING = "Charting: dosing"
NOTES = "Charting: notes"
SCALES = "Charting: rating scales"
RECORD = "Charting: patient record"
SAFETY = "Charting: safety"
REMS = "Charting: esketamine REMS"

document(
    views.VitalSignViewSet,
    tag=VITALS,
    list={
        "summary": "List vital signs",
        "description": "Blood pressure, heart rate, SpO2, respiratory rate and temperature readings, entered by hand "
        "or from a monitor. Filter by `session`, `patient` or `source` (`manual`, `device`).",
    },
    retrieve={
        "summary": "Get one vital-sign reading",
        "description": "One reading with its source, who entered it and when, and whether it was entered in error.",
    },
    create={
        "summary": "Record a vital-sign reading",
        "description": "Records one reading; any measure may be left out, each within its plausible range. The "
        "session's threshold rules (severe or critical blood pressure, sustained tachycardia, low SpO2) are "
        "re-evaluated at once and raise alerts. A reading with a `device_reading_id` already stored is not stored "
        "twice: the stored one answers. " + TIMED,
    },
    batch={
        "summary": "Record a batch of monitor readings",
        "description": "Records readings from a monitor in one call. Resending a reading (same `device_reading_id`) is "
        "a no-op counted in `duplicates`, so a monitor may resend a whole batch after a network failure. Answers the "
        "readings stored and the ids of the session's alerts. " + TIMED,
    },
    entered_in_error=entered_in_error(s.VitalSignSerializer, "vital-sign reading"),
)
document(
    views.SedationScoreViewSet,
    tag=VITALS,
    list={
        "summary": "List sedation scores",
        "description": "MOAA/S scores (0 unresponsive to 5 alert). " + SESSION_ROWS,
    },
    create={
        "summary": "Record a sedation score",
        "description": "Records a MOAA/S score (0 to 5); discharge requires the patient back to 5. " + TIMED,
    },
    entered_in_error=entered_in_error(s.SedationScoreSerializer, "sedation score"),
)
document(
    views.DissociationScoreViewSet,
    tag=VITALS,
    list={
        "summary": "List dissociation scores",
        "description": "CADSS dissociation scores with their 23 items and total. " + SESSION_ROWS,
    },
    create={
        "summary": "Record a dissociation score",
        "description": "Records the 23 CADSS items (each 0 to 4); the total is computed. " + TIMED,
    },
    entered_in_error=entered_in_error(s.DissociationScoreSerializer, "dissociation score"),
)
document(
    views.AdverseEventViewSet,
    tag=SAFETY,
    list={
        "summary": "List adverse events",
        "description": "Adverse events charted during sessions (nausea, hypertension, emergence reaction, "
        "respiratory depression, ...), with severity and the action taken. Filter by `session`, `patient` or `type`.",
    },
    create={
        "summary": "Record an adverse event",
        "description": "Records an adverse event of a session with its type, severity, onset and action taken. "
        "Serious events appear on the esketamine REMS monitoring form. " + TIMED,
    },
)
document(
    views.AlertViewSet,
    tag=SAFETY,
    list={
        "summary": "List alerts",
        "description": "Alerts raised by the system: vital-sign thresholds during a session, a PHQ-9 item 9 answer "
        "or a positive C-SSRS at any time, a patient's check-in the clinic's review rule flags (very low mood, risk "
        "words). Each goes in-app to the session's clinicians and the on-call list, pages the on-call list in turn "
        "and then the prescribers until someone acknowledges it (its items: `GET /followups/?alert=`). Filter by "
        "`session`, `patient`, `kind`, `priority`, or `open=true` for those not acknowledged yet.",
    },
    retrieve={
        "summary": "Get one alert",
        "description": "One alert with what raised it (`details`: the readings and limits, or the scale response) "
        "and its handling: when someone was first told, who acknowledged it.",
    },
    acknowledge={
        "summary": "Acknowledge an alert",
        "description": "Records that a clinician has taken the alert in hand (who and when); no one else is paged "
        "for it after this. An alert already acknowledged answers 409 `alert_acknowledged`.",
        "examples": [
            examples.response(
                {**world.ALERT, "acknowledged_by": 3, "acknowledged_at": "2026-03-02T14:02:00Z"},
            )
        ],
    },
)
document(
    views.DoseViewSet,
    tag=DOSING,
    list={
        "summary": "List doses",
        "description": "Ketamine and esketamine administrations with dose, weight used, volume, rate, lot and who "
        "ordered and gave them. Filter by `session`, `patient`, `medication` or `route`.",
    },
    retrieve={
        "summary": "Get one dose",
        "description": "One administration with the weight used and its computed dose, volume and rate.",
    },
    create={
        "summary": "Record a dose",
        "description": "Records an administration ordered by a prescriber. Give `dose_mg_per_kg` (the patient's "
        "latest weight gives `dose_mg`) or `dose_mg`; with a concentration the volume is computed, with infusion "
        "minutes the rate. The first dose of a session must pass the pre-dose gate (consent, screen, vital signs, "
        "attestation, ...) and every dose the in-session checks: 422 `gate_unmet` listing each unmet item, which a "
        "prescriber may override. The session's cumulative dose must stay under the clinic's cap for the route "
        "(422 `dose_cap_exceeded`) unless a prescriber records an override reason; esketamine follows its label "
        "(28 mg devices, at most 84 mg). " + TIMED,
    },
    stop={
        "summary": "Stop an infusion",
        "description": "Records when a running infusion was stopped (`stopped_at`, not before it started).",
        "examples": [examples.response({**world.DOSE, "stopped_at": "2026-03-02T14:52:00Z"})],
    },
    entered_in_error=entered_in_error(s.DoseAdministrationSerializer, "dose"),
)
document(
    views.SessionMedicationViewSet,
    tag=DOSING,
    list={
        "summary": "List other medications given",
        "description": "Medications other than ketamine given during sessions (ondansetron, labetalol, "
        "clonidine, lorazepam, midazolam, other). " + SESSION_ROWS,
    },
    create={
        "summary": "Record another medication given",
        "description": "Records a medication given during the session, with dose, route, time, reason and the "
        "prescriber who ordered it. " + TIMED,
    },
)
document(
    views.EscalationViewSet,
    tag=SAFETY,
    list={
        "summary": "List escalations",
        "description": "Escalations during sessions: prescriber called, rapid response, emergency transfer. "
        + SESSION_ROWS,
    },
    create={
        "summary": "Record an escalation",
        "description": "Records an escalation of care and what happened. " + TIMED,
    },
)
document(
    views.NoteViewSet,
    tag=NOTES,
    list={
        "summary": "List clinical notes",
        "description": "Notes of sessions: one per author role (therapist, nurse, prescriber), with their sections, "
        "status (`draft`, `signed`) and addenda. Filter by `session`, `patient`, `kind` or `status`.",
    },
    retrieve={
        "summary": "Get one note with its ETag",
        "description": "One note; the `ETag` header (and the `etag` field) carries its version, to send back in "
        "`If-Match` when editing.",
    },
    create={
        "summary": "Start a note",
        "description": "Starts the author's draft note on a session. The note's kind follows the session's "
        "(`preparation`, `dosing`, `integration`, else `general`) and decides its `sections` (e.g. a dosing note: "
        "`pre_dose_checks`, `therapist_observations`, `patient_experience`); unknown sections are refused. A second "
        "note by the same author role on the session answers 409. An author holding several roles names one in "
        "`author_role`.",
        "examples": [
            examples.response({**world.NOTE, "version": 1, "etag": '"1"', "updated_at": world.NOTE["created_at"]})
        ],
    },
    partial_update={
        "summary": "Edit a draft note",
        "description": "Edits the author's own draft. Send the `ETag` read last in `If-Match`: a missing header "
        "answers 428, a stale one 412 (someone saved in between; read again). A signed note is frozen in the "
        "database: correct it with an addendum.",
        "examples": [
            examples.response(
                {
                    **world.NOTE,
                    "body": "Session held as planned; integration on Wednesday 4 March at 10:00.",
                    "version": 4,
                    "etag": '"4"',
                    "updated_at": "2026-03-02T16:22:00Z",
                }
            )
        ],
    },
    sign={
        "summary": "Sign a note",
        "description": "Signs the author's own draft: records who and when and the SHA-256 of its canonical "
        "content; from then on the database refuses any change. `If-Match` is optional here and checked when sent.",
        "examples": [examples.response(world.SIGNED)],
    },
    cosign={
        "summary": "Co-sign a dosing note",
        "description": "A prescriber co-signs a signed dosing note, once; nothing else of the note changes.",
        "examples": [
            examples.response({**world.SIGNED, "cosigned_by": 3, "cosigned_at": "2026-03-02T17:00:00Z", "etag": '"4"'})
        ],
    },
    add_addendum={
        "summary": "Add an addendum to a signed note",
        "description": "Corrects or completes a signed note by a new, signed addendum pointing at it; the note itself "
        "never changes. Answers the note with its addenda.",
        "examples": [examples.response({**world.SIGNED, "addenda": [world.ADDENDUM]})],
    },
)
document(
    views.ScaleResponseViewSet,
    tag=SCALES,
    list={
        "summary": "List rating-scale responses",
        "description": "PHQ-9, GAD-7, PCL-5 and C-SSRS responses with their total, severity band, risk flag and "
        "LOINC codes. Filter by `patient`, `session`, `enrollment` or `scale`.",
    },
    retrieve={
        "summary": "Get one rating-scale response",
        "description": "One response with its answers, total, severity band, risk flag and LOINC codes.",
    },
    create={
        "summary": "Record a rating-scale response",
        "description": "Scores and stores one response: `answers` is the list of item scores in order (PHQ-9: 9 "
        "items 0-3; GAD-7: 7 items 0-3; PCL-5: 20 items 0-4) or, for the C-SSRS screener, an object of yes/no "
        "answers `q1`..`q6` (and `q6_recent` when `q6` is yes). A bad "
        "item answers 422 naming each. A PHQ-9 item 9 above 0 or a positive C-SSRS raises a high-priority alert, "
        "notified to the on-call staff.",
    },
    trend={
        "summary": "Get a patient's trends per scale",
        "description": "For one `patient` (optionally one `enrollment`, a course of treatment): per scale, every "
        "total in time order, the baseline, the latest, the change in percent, and whether the patient responded "
        "(PHQ-9 down at least 50 %) or remitted (PHQ-9 below 5). A plain array.",
    },
)
records = {
    views.AllergyViewSet: ("an allergy", "allergies", "An allergy: substance, reaction and severity."),
    views.DiagnosisViewSet: (
        "a diagnosis",
        "diagnoses",
        "A diagnosis as an ICD-10-CM code (`F33.1`) with its description; one may be marked primary.",
    ),
    views.PatientMedicationViewSet: (
        "a medication the patient takes",
        "the patient's medications",
        "A medication the patient takes outside the clinic; its `concomitant_class` (benzodiazepine, stimulant, "
        "MAOI, ...) feeds the dosing checks.",
    ),
    views.PregnancyTestViewSet: (
        "a pregnancy test",
        "pregnancy tests",
        "A pregnancy test result, where a program requires a recent negative one before dosing.",
    ),
    views.PriorAuthorizationViewSet: (
        "a prior authorization",
        "prior authorizations",
        "A payer's prior authorization: reference, sessions authorised and used, validity. The first dose of each "
        "dosing session uses one authorised session.",
    ),
    views.RemsEnrollmentViewSet: (
        "a REMS patient enrollment",
        "REMS patient enrollments",
        "The patient's enrollment in the esketamine REMS (their REMS patient id), required before an esketamine dose.",
    ),
}
for view, (noun, plural, about) in records.items():
    tag = REMS if view is views.RemsEnrollmentViewSet else RECORD
    document(view, tag=tag, **record_docs(noun, plural, about))
document(
    views.ConsentViewSet,
    tag=RECORD,
    **record_docs(
        "a signed consent",
        "consents",
        "A treatment consent signed by the patient with a staff witness: document version, medications and "
        "routes it covers, expiry. A current consent is a prerequisite of dosing.",
    ),
    revoke={
        "summary": "Revoke a consent",
        "description": "Records that the patient withdrew the consent, with a reason; it no longer satisfies the "
        "dosing prerequisite. Revoking it twice answers 409 `consent_revoked`.",
        "examples": [
            examples.response(
                {
                    **world.RECORDS["Consent"],
                    "revoked_at": "2026-03-09T15:00:00Z",
                    "revocation_reason": "Patient withdrew consent by phone on 9 March.",
                }
            )
        ],
    },
)
document(
    views.ContraindicationScreenViewSet,
    tag=RECORD,
    **record_docs(
        "a contraindication screen",
        "contraindication screens",
        "The ketamine contraindication screen: `answers` per item (psychosis, uncontrolled hypertension, pregnancy, "
        "...), `true` when present. Any item present fails it; the result is computed. A passed screen reviewed by "
        "a prescriber and still valid is a prerequisite of dosing.",
        {**world.RECORDS["ContraindicationScreen"], "reviewed_by": None, "reviewed_at": None},
    ),
    review={
        "summary": "Review a contraindication screen",
        "description": "The prescriber making the request reviews the screen; `reviewed_by` is always the caller, so "
        "nobody reviews on another's behalf.",
    },
)
document(
    views.SessionAttestationViewSet,
    tag=SAFETY,
    list={
        "summary": "List escort and fasting attestations",
        "description": "Per session: the escort (name, phone, present) and fasting (confirmed, last ate, last "
        "drank). " + SESSION_ROWS,
    },
    create={
        "summary": "Record escort and fasting for a session",
        "description": "Records the session's attestation; posting again for the same session updates its single "
        "row. Escort and fasting are items of the pre-dose gate and of discharge.",
    },
)
document(
    views.RideConfirmationViewSet,
    tag=SAFETY,
    create={
        "summary": "Confirm a session's ride home and escort",
        "description": "The front desk (or a clinician) records the escort who takes the patient home: name and "
        "phone confirm the ride (the gate's `ride_confirmed` item and the day board's `ride_not_confirmed` flag), "
        "and `escort_present` on the day that the escort is here. Posting again updates the session's single "
        "attestation; fasting and every clinical field stay the nurse's and are neither read nor written here.",
    },
)
document(
    views.ChecklistOverrideViewSet,
    tag=SAFETY,
    list={
        "summary": "List gate and discharge overrides",
        "description": "A prescriber's overrides of unmet gate, dose or discharge items, with the reason. Filter by "
        "`session` or `stage`.",
    },
    create={
        "summary": "Override an unmet gate or discharge item",
        "description": "A prescriber proceeds despite one item currently unmet (`stage` `gate`, `dose` or "
        "`discharge`; `item` as listed in `unmet`), with a written reason kept with who and when. An item that is "
        "not unmet answers 422 `item_not_unmet`, one already overridden 409.",
    },
)
document(
    views.RemsFormViewSet,
    tag=REMS,
    list={
        "summary": "List REMS monitoring forms",
        "description": "Esketamine REMS patient monitoring forms of your clinics' sessions, draft or submitted. "
        "Filter by `session` or `status`.",
    },
    retrieve={
        "summary": "Get one REMS monitoring form",
        "description": "One form: every field of the REMS list filled from the chart (doses and lots, blood pressure "
        "before, at 40 minutes and at discharge, sedation, dissociation, respiratory depression, serious adverse "
        "events, time ready to leave), and when it is due.",
    },
    generate={
        "summary": "Fill a session's REMS monitoring form from its chart",
        "description": "Builds (or rebuilds, while still a draft) the form of an esketamine session from its chart, "
        "due 7 days after the session. `ready_to_leave_at` defaults to now when the discharge criteria hold. A "
        "session without an esketamine dose answers 422 `no_esketamine_dose`; a submitted form 409 "
        "`rems_form_submitted`.",
    },
    submit={
        "summary": "Submit a REMS monitoring form",
        "description": "Marks the form submitted (who and when); it is kept as sent from then on (409 "
        "`rems_form_submitted` on a second submit).",
        "examples": [
            examples.response(
                {**world.REMS_FORM, "status": "submitted", "submitted_at": "2026-03-04T14:00:00Z", "submitted_by": 3}
            )
        ],
    },
)
document(
    views.SessionChartViewSet,
    tag=CHART,
    retrieve={
        "summary": "Get a session's whole chart",
        "description": "Everything charted on one session in one response: notes, doses, other medications, "
        "escalations, vital signs, sedation and dissociation scores, adverse events, alerts, scales, the escort and "
        "fasting attestation, the pre-dose gate and discharge status, and the REMS form.",
    },
    gate={
        "summary": "Get a session's pre-dose gate",
        "description": "Whether the first dose may be given (`ready`), each unmet item with why, and the items a "
        "prescriber overrode.",
    },
    discharge={
        "summary": "Get a session's discharge status",
        "description": "Whether the patient may leave (`ready`): monitoring time after the last dose, vital signs, "
        "MOAA/S back to 5, escort present; each unmet item with why.",
        "examples": [examples.response(world.DISCHARGE)],
    },
    limits={
        "summary": "Get the limits a session's chart applies",
        "description": "The clinic's vital-sign thresholds (null when switched off), dose caps per medication and "
        "route, and discharge policy, for drawing the chart. The server applies them; a client only shows them.",
    },
)
document(
    views.PatientTimelineViewSet,
    tag=CHART,
    timeline={
        "summary": "Get a patient's clinical timeline",
        "description": "A patient's clinical history, newest first, one line each: signed notes, doses, scale "
        "responses, alerts, adverse events and consents, with the session they belong to. A plain array.",
    },
)
