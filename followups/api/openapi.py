"""The OpenAPI documentation of the follow-up queue and the SMS gateway's inbound webhook."""

from __future__ import annotations

from followups.api import views
from kat_clinic.api import example_world as w
from kat_clinic.api import examples
from kat_clinic.api.schema import document

# A clinical alert (charting's alert 301) shown in-app to the prescriber, first on the on-call list.
CLINICAL_ALERT = {
    "id": 1207,
    "clinic": w.CLINIC,
    "kind": "clinical_alert",
    "channel": "in_app",
    "target": "staff",
    "role": "",
    "staff": w.PRESCRIBER,
    "staff_name": "Priya Shah, MD",
    "patient": w.PATIENT,
    "session": w.SESSION,
    "alert": 301,
    "payload": {"step": 0, "why": "on_call"},
    "due_at": "2026-03-02T13:58:00Z",
    "status": "sent",
    "attempts": 1,
    "last_error": "",
    "sent_at": "2026-03-02T13:58:04Z",
    "cancelled_at": None,
    "acknowledged_at": None,
    "acknowledged_by": None,
}

examples.register(
    FollowUp=CLINICAL_ALERT,
    SmsInboundRequest={"from": "+12125550142", "body": "STOP"},
    SmsInboundResult={"result": "stopped"},
)

document(
    views.FollowUpViewSet,
    tag="Follow-ups",
    list={
        "summary": "List the follow-up queue",
        "description": "Follow-ups you may see, by due time: reminders and scale requests to patients, staff alerts "
        "and tasks (no-show review, integration not booked, REMS form due), and each clinical alert's items and "
        "pages (`clinical_alert`: in-app to the session's clinicians and the on-call list, SMS or email pages to "
        "the on-call list in turn, then the prescribers, while nobody acknowledges it). Alerts addressed to you "
        "or to a role you hold; clinicians also see patient messages and every clinical alert's items, the front "
        "desk schedule reminders. `bucket` picks `upcoming`, `due`, `overdue` (15 minutes past due), `sent`, "
        "`failed`, `acknowledged` or `cancelled`; filter also by `clinic`, `role`, `kind`, `patient` or `alert` "
        "(one clinical alert's escalation).",
    },
    retrieve={
        "summary": "Get one follow-up",
        "description": "One follow-up with its channel, target, payload, due time, delivery attempts and status.",
    },
    acknowledge={
        "summary": "Acknowledge a staff alert",
        "description": "Takes a staff alert in hand (who and when). Only alerts addressed to you, or to a role you "
        "hold (403 `not_your_alert` otherwise); patient messages are not acknowledged (422 `not_an_alert`). "
        "Acknowledging a clinical alert's item acknowledges the alert itself, for any nurse or prescriber of the "
        "clinic (403 `role_required` otherwise): its pages not sent yet are cancelled. Acknowledging twice changes "
        "nothing; a cancelled or failed alert answers 409 `alert_closed`.",
        "examples": [
            examples.response(
                {
                    **CLINICAL_ALERT,
                    "status": "acknowledged",
                    "acknowledged_at": "2026-03-02T14:01:00Z",
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
