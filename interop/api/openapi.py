"""The OpenAPI documentation of FHIR export, documents, CSV exports and calendar feeds."""

from __future__ import annotations

from interop.api import calendar_views, fhir_views
from interop.api import document_views as docs
from kat_clinic.api import example_world as w
from kat_clinic.api import examples
from kat_clinic.api.schema import document

BASE = "https://clinic.example.org/api/v1/fhir"
CSV = "text/csv"
FHIR = "application/fhir+json"
FEED = {
    "id": 14,
    "clinic": w.CLINIC,
    "staff": w.THERAPIST,
    "room": None,
    "created_at": "2026-02-10T14:00:00Z",
    "revoked_at": None,
    "last_fetched_at": "2026-03-02T11:45:12Z",
}
ICS = (
    "BEGIN:VCALENDAR\r\nPRODID:-//KAT Clinic//Calendar feed//EN\r\nVERSION:2.0\r\n"
    "X-WR-CALNAME:Midtown Ketamine Clinic: Theo Grant\\, LCSW\r\n"
    "BEGIN:VEVENT\r\nSUMMARY:Dosing - Treatment Room 1\r\nDTSTART:20260302T140000Z\r\nDTEND:20260302T163000Z\r\n"
    "DTSTAMP:20260302T114512Z\r\nUID:session-57@kat-clinic\r\nLOCATION:Treatment Room 1\r\nSTATUS:CONFIRMED\r\n"
    "END:VEVENT\r\nEND:VCALENDAR\r\n"
)

examples.register(
    CalendarFeed=FEED,
    CalendarFeedIssued={
        **FEED,
        "created_at": "2026-03-02T15:00:00Z",
        "last_fetched_at": None,
        "url": "https://clinic.example.org/api/v1/calendars/cZ7kQ2pXv9LmN4rT8wYb1sDf6HgJ3aEu/",
    },
    CalendarFeedIssueRequest={"clinic": w.CLINIC, "staff": w.THERAPIST, "room": None},
)

PATIENT_RESOURCE = {
    "resourceType": "Patient",
    "id": str(w.PATIENT),
    "identifier": [{"system": "urn:kat-clinic:mrn", "value": "MK-000042"}],
    "name": [{"family": "Bennett", "given": ["Avery"]}],
    "gender": "female",
    "birthDate": "1986-04-17",
}

document(
    fhir_views.CapabilityStatementView,
    tag="FHIR",
    get={
        "summary": "Get the FHIR CapabilityStatement",
        "description": "What this read-only FHIR R4 (4.0.1) server offers: `Patient/{id}/$everything` and the bulk "
        "`Group/{clinic}/$export`. FHIR content is `application/fhir+json`; errors keep the API's problem+json.",
        "examples": [
            examples.response(
                media_type=FHIR,
                value={
                    "resourceType": "CapabilityStatement",
                    "status": "active",
                    "kind": "instance",
                    "fhirVersion": "4.0.1",
                    "format": ["application/fhir+json"],
                },
            )
        ],
    },
)
document(
    fhir_views.PatientEverythingView,
    tag="FHIR",
    get={
        "summary": "Export a patient's record as a FHIR Bundle",
        "description": "The patient's record as a FHIR R4 searchset Bundle: Patient, Appointment (booked sessions), "
        "Encounter (held sessions), Observation (vital signs and rating-scale totals with their LOINC codes), "
        "QuestionnaireResponse, MedicationAdministration (with lot), Condition (ICD-10), AllergyIntolerance, "
        "Consent and CarePlan. Recorded as a disclosure in the patient's accounting of disclosures.",
        "examples": [
            examples.response(
                media_type=FHIR,
                value={
                    "resourceType": "Bundle",
                    "type": "searchset",
                    "total": 1,
                    "entry": [{"fullUrl": f"{BASE}/Patient/{w.PATIENT}", "resource": PATIENT_RESOURCE}],
                },
            )
        ],
    },
)
document(
    fhir_views.BulkExportKickoffView,
    tag="FHIR",
    get={
        "summary": "Start a bulk export of a clinic (FHIR Bulk Data)",
        "description": "Starts an asynchronous NDJSON export of every patient of the clinic (optionally only the "
        "resource types in `_type`) and answers 202 at once; poll the URL in the `Content-Location` header "
        "(`fhir/bulk-status/{id}`) until it answers 200 with the manifest.",
        "examples": [
            examples.response(
                media_type=FHIR,
                value={
                    "resourceType": "OperationOutcome",
                    "issue": [{"severity": "information", "code": "informational", "diagnostics": "Export accepted."}],
                },
                status="202",
            )
        ],
    },
)
document(
    fhir_views.BulkExportStatusView,
    tag="FHIR",
    get={
        "summary": "Poll a bulk export",
        "description": "While the export runs: 202 with its `status` (and `X-Progress`, `Retry-After: 5`). When done: "
        "200 with the manifest, one NDJSON file per resource type with its URL and count. A failed export answers "
        "400 naming why.",
        "examples": [
            examples.response({"status": "running"}, name="Still running", status="202"),
            examples.response(
                {
                    "transactionTime": "2026-03-02T18:00:02+00:00",
                    "request": f"{BASE}/Group/{w.CLINIC}/$export",
                    "requiresAccessToken": True,
                    "output": [
                        {"type": "Patient", "url": f"{BASE}/bulk-files/301", "count": 212},
                        {"type": "Observation", "url": f"{BASE}/bulk-files/302", "count": 18344},
                    ],
                    "error": [],
                },
                name="Complete",
                status="200",
            ),
        ],
    },
)
document(
    fhir_views.BulkExportFileView,
    tag="FHIR",
    get={
        "summary": "Download one file of a bulk export",
        "description": "One NDJSON file of a completed export: one FHIR resource per line. Send `Accept: "
        "application/octet-stream` to receive it as plain bytes. Recorded as a disclosure of every patient it "
        "holds.",
    },
)
PDF = "Send `Accept: application/octet-stream` to receive the same bytes as plain binary. Recorded as a disclosure."
document(
    docs.RemsFormPdfView,
    tag="Documents",
    get={"description": "The monitoring form of one esketamine session, every field of the REMS list, ready to "
         "print or file. " + PDF},
)  # fmt: skip
document(
    docs.ConsentPdfView,
    tag="Documents",
    get={"description": "The patient's signed treatment consent, with the signature time and the witness. " + PDF},
)
document(
    docs.RemsEnrollmentPdfView,
    tag="Documents",
    get={"description": "The patient's esketamine REMS patient enrollment, signed, with its date. " + PDF},
)
document(
    docs.SessionSummaryPdfView,
    tag="Documents",
    get={"description": "One session on a page: times, room, staff, vital signs, doses with lots, scales, adverse "
         "events, the note. " + PDF},
)  # fmt: skip
document(
    docs.ScheduleCsvView,
    tag="Exports",
    get={
        "examples": [
            examples.response(
                media_type=CSV,
                value="session_id,date,start,end,kind,status,room,telehealth,patient_mrn,patient_name,staff\r\n"
                '57,2026-03-02,09:00,11:00,dosing,scheduled,Treatment Room 1,no,MK-000042,"Bennett, Avery",'
                '"Theo Grant, LCSW (therapist); Noah Kim, RN (nurse); Priya Shah, MD (prescriber)"\r\n',
            )
        ]
    },
)
document(
    docs.OutcomesCsvView,
    tag="Exports",
    get={
        "examples": [
            examples.response(
                media_type=CSV,
                value="program,version,pathway,enrollments,with_baseline,with_follow_up,response,remission\r\n"
                f"{w.TEMPLATE_NAME},1,kat,14,13,11,6,4\r\n",
            )
        ]
    },
)
document(
    docs.AuditCsvView,
    tag="Exports",
    get={
        "examples": [
            examples.response(
                media_type=CSV,
                value="occurred_at,username,roles,action,operation,method,path,resource_type,resource_ids,patient_ids,"
                "outcome,status_code,request_id,ip,break_glass\r\n"
                "2026-03-02T14:31:07+00:00,nkim,nurse,create,vital.write,POST,/api/v1/chart/vitals/,vital_sign,5121,"
                "42,success,201,5f0c6b1e-8a4d-4c1f-9a57-0b7a2f3c9d12,10.20.0.15,no\r\n",
            )
        ]
    },
)
document(
    docs.DisclosuresCsvView,
    tag="Exports",
    get={
        "examples": [
            examples.response(
                media_type=CSV,
                value="occurred_at,channel,document,resource_type,resource_ids,recipient,request_id\r\n"
                "2026-03-04T14:10:00+00:00,api_download,session_summary_pdf,session,57,user:nkim,"
                "0b3e7d52-1c9a-4f60-8e21-7a5d4c3b2f19\r\n",
            )
        ]
    },
)
document(
    calendar_views.CalendarFeedViewSet,
    tag="Calendars",
    list={
        "description": "Calendar feeds you may manage: your own, and at clinics where you run the schedule "
        "(admins, the front desk) every feed, rooms' included. Revoked feeds stay listed with `revoked_at`."
    },
    revoke={
        "description": "Revokes the feed: its URL stops working at once, for good (a calendar app subscribed to it "
        "gets 404 from then on). Issue a new feed for a new URL.",
        "examples": [examples.response({**FEED, "revoked_at": "2026-03-09T09:00:00Z"})],
    },
)
document(
    calendar_views.CalendarFeedIcsView,
    tag="Calendars",
    get={
        "description": "Subscribe to this URL in a calendar app: the sessions of the feed's staff member or room "
        "from 30 days back to 180 days ahead. Events carry the session kind, the room and the time; no patient "
        "identifier unless the clinic opted in to initials (calendar services hold no business associate "
        "agreement). No login: the private token in the URL is the credential; a revoked one answers 404.",
        "examples": [examples.response(ICS, media_type="text/calendar")],
    },
)
