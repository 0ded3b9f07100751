"""The OpenAPI documentation of the follow-up queue and the SMS gateway's inbound webhook."""

from __future__ import annotations

from followups.api import views
from kat_clinic.api import example_world as w
from kat_clinic.api import examples
from kat_clinic.api.schema import document

CRISIS_PAGE = {
    "id": 1207,
    "clinic": w.CLINIC,
    "kind": "crisis_page",
    "channel": "in_app",
    "target": "staff",
    "role": "",
    "staff": w.PRESCRIBER,
    "patient": w.PATIENT,
    "session": None,
    "payload": {"checkin_id": 733, "position": 1},
    "due_at": "2026-03-07T01:12:00Z",
    "status": "sent",
    "attempts": 1,
    "last_error": "",
    "sent_at": "2026-03-07T01:12:06Z",
    "cancelled_at": None,
    "acknowledged_at": None,
    "acknowledged_by": None,
}

examples.register(
    FollowUp=CRISIS_PAGE,
    SmsInboundRequest={"from": "+12125550142", "body": "STOP"},
    SmsInboundResult={"result": "stopped"},
)

document(
    views.FollowUpViewSet,
    tag="Follow-ups",
    list={
        "summary": "List the follow-up queue",
        "description": "Follow-ups you may see, by due time: reminders and scale requests to patients, staff alerts "
        "and tasks (no-show review, integration not booked, REMS form due, crisis pages). Alerts addressed to you "
        "or to a role you hold; clinicians also see patient messages and crisis pages, the front desk schedule "
        "reminders. `bucket` picks `upcoming`, `due`, `overdue` (15 minutes past due), `sent`, `failed`, "
        "`acknowledged` or `cancelled`; filter also by `clinic`, `role`, `kind` or `patient`.",
    },
    retrieve={
        "summary": "Get one follow-up",
        "description": "One follow-up with its channel, target, payload, due time, delivery attempts and status.",
    },
    acknowledge={
        "summary": "Acknowledge a staff alert",
        "description": "Takes a staff alert in hand (who and when). Only alerts addressed to you, or to a role you "
        "hold, or a crisis page for any clinician of the clinic (403 `not_your_alert` otherwise); patient messages "
        "are not acknowledged (422 `not_an_alert`). Acknowledging twice changes nothing; a cancelled or failed "
        "alert answers 409 `alert_closed`.",
        "examples": [
            examples.response(
                {
                    **CRISIS_PAGE,
                    "status": "acknowledged",
                    "acknowledged_at": "2026-03-07T01:15:00Z",
                    "acknowledged_by": w.PRESCRIBER,
                }
            )
        ],
    },
)
document(
    views.SmsInboundView,
    tag="SMS gateway",
    post={
        "summary": "Receive an inbound SMS from the gateway",
        "description": "The SMS provider forwards texts patients send: `from` (the number) and `body`. STOP (and the "
        "carrier's other stop words) opts the patient out of SMS and cancels their queued texts; START opts back "
        "in; anything else is ignored. Numbers match on their last 10 digits. No login: the gateway proves itself "
        "with the shared secret in the `X-Webhook-Token` header (403 otherwise).",
    },
)
