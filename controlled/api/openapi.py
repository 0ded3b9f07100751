"""The OpenAPI documentation of the controlled-substance ledger (21 CFR 1304)."""

from __future__ import annotations

from controlled import selectors
from controlled.api import reports, views
from kat_clinic.api import example_world as w
from kat_clinic.api import examples
from kat_clinic.api.schema import document

REGISTRATION = 2
VIAL = 41
SECOND_PERSON = {"username": "nlopez", "password": "correct horse battery staple", "otp": "318204"}
CONTAINER = {
    "id": VIAL,
    "product": 1,
    "kind": "vial",
    "clinic": w.CLINIC,
    "registration": REGISTRATION,
    "lot_number": "KTM-24117B",
    "expires_on": "2027-08-31",
    "initial_mg": "500.00",
    "initial_ml": "10.00",
    "label": "Vial A",
    "on_hand_mg": "448.70",
    "created_at": "2026-02-26T15:00:00Z",
}
ENTRY = {
    "id": 1180,
    "container": VIAL,
    "lot_number": "KTM-24117B",
    "kind": "draw",
    "change_mg": "-51.30",
    "devices": None,
    "volume_ml": "1.03",
    "balance_after_mg": "448.70",
    "occurred_at": "2026-03-02T14:10:00Z",
    "recorded_at": "2026-03-02T14:11:30Z",
    "by": w.NURSE,
    "dose": 903,
    "patient": w.PATIENT,
    "draw": None,
    "corrects": None,
    "pair": None,
    "checked_by": None,
    "signed_off_by": None,
    "discrepancy": None,
    "counterparty": "",
    "reference": "",
    "other_registration": None,
    "distribution": False,
    "reason": "",
    "witnessed_by": None,
}
WASTE = {
    **ENTRY,
    "id": 1181,
    "kind": "waste",
    "change_mg": "-8.70",
    "volume_ml": None,
    "balance_after_mg": "440.00",
    "occurred_at": "2026-03-02T14:12:00Z",
    "recorded_at": "2026-03-02T14:12:20Z",
    "dose": None,
    "patient": None,
    "draw": 1180,
    "reason": "Rest of the drawn syringe after the dose.",
    "witnessed_by": 5,
}


def _entry(**changes) -> dict:
    return {**ENTRY, "dose": None, "patient": None, "volume_ml": None, **changes}


LOSS_REPORT = {
    "id": 3,
    "entry": 1190,
    "container": VIAL,
    "kind": "loss",
    "discovered_at": "2026-03-05T22:30:00Z",
    "description": "Vial dropped and broken while restocking the treatment room cabinet.",
    "police_report": "",
    "reported_by": w.NURSE,
    "notice_due_at": "2026-03-06T22:00:00Z",
    "form_106_due_on": "2026-04-19",
    "signed_off_by": None,
}
DISCREPANCY = {
    "id": 6,
    "count": 27,
    "container": VIAL,
    "registration": REGISTRATION,
    "expected_mg": "440.00",
    "counted_mg": "430.00",
    "difference_mg": "-10.00",
    "opened_at": "2026-03-02T23:00:00Z",
    "resolved_at": None,
    "resolved_by": None,
    "resolution": "",
}

examples.register(
    Product={
        "id": 1,
        "name": "Ketamine HCl injection 50 mg/mL",
        "medication": "ketamine",
        "form": "injection",
        "strength": "50 mg/mL",
        "concentration_mg_per_ml": "50.00",
        "unit_mg": None,
        "ndc": "0409-2051-05",
        "controlled": True,
        "schedule": "III",
    },
    Registration={
        "id": REGISTRATION,
        "clinic": w.CLINIC,
        "number": "BS1234563",
        "name": "Midtown Ketamine Clinic PLLC",
        "registrant": w.PRESCRIBER,
        "schedules": "III",
        "expires_on": "2027-10-31",
        "active": True,
    },
    Container=CONTAINER,
    ReceiveRequest={
        "clinic": w.CLINIC,
        "registration": REGISTRATION,
        "product": 1,
        "kind": "vial",
        "lot_number": "KTM-24117B",
        "expires_on": "2027-08-31",
        "received_at": "2026-02-26T15:00:00Z",
        "supplier": "Cardinal Health",
        "invoice": "INV-778120",
        "quantity_mg": "500.00",
        "initial_ml": "10.00",
        "checked_by": SECOND_PERSON,
    },
    CountSheetContainer={
        "id": VIAL,
        "product": 1,
        "product_name": "Ketamine HCl injection 50 mg/mL",
        "strength": "50 mg/mL",
        "kind": "vial",
        "lot_number": "KTM-24117B",
        "expires_on": "2027-08-31",
        "counts_devices": False,
    },
    Entry=ENTRY,
    WasteRequest={
        "quantity_mg": "8.70",
        "reason": "Rest of the drawn syringe after the dose.",
        "occurred_at": "2026-03-02T14:12:00Z",
        "witness": SECOND_PERSON,
    },
    TransferRequest={
        "to_clinic": 2,
        "to_registration": 5,
        "quantity_mg": "200.00",
        "occurred_at": "2026-03-06T16:00:00Z",
        "reference": "DEA-222-260306-01",
    },
    ReturnRequest={
        "counterparty": "Cardinal Health",
        "quantity_mg": "440.00",
        "occurred_at": "2026-03-20T15:00:00Z",
        "reference": "RMA-55120",
    },
    AdjustRequest={
        "change_mg": "-10.00",
        "reason": "Count of 2 March: 10 mg short, spill recorded on paper during the 16:00 session.",
        "discrepancy": 6,
    },
    LossRequest={
        "kind": "loss",
        "discovered_at": "2026-03-05T22:30:00Z",
        "description": "Vial dropped and broken while restocking the treatment room cabinet.",
        "quantity_mg": "430.00",
    },
    LossReport=LOSS_REPORT,
    CorrectRequest={"change_mg": None, "reason": "Dose charted on the wrong session; re-recorded on session 58."},
    DrawRequest={
        "container": VIAL,
        "session": w.SESSION,
        "ordered_by": w.PRESCRIBER,
        "route": "im",
        "kind": "initial",
        "started_at": "2026-03-02T14:10:00Z",
        "dose_mg_per_kg": "0.750",
        "drawn_mg": "60.00",
        "waste_reason": "Rest of the drawn syringe after the dose.",
        "witness": SECOND_PERSON,
    },
    Count={
        "id": 27,
        "clinic": w.CLINIC,
        "kind": "daily",
        "counted_by": w.NURSE,
        "counted_at": "2026-03-02T23:00:00Z",
        "recorded_at": "2026-03-02T23:04:10Z",
        "lines": [{"container": VIAL, "counted_mg": "430.00", "counted_devices": None}],
    },
    CountCreateRequest={
        "clinic": w.CLINIC,
        "kind": "daily",
        "counted_at": "2026-03-02T23:00:00Z",
        "lines": [{"container": VIAL, "counted_mg": "430.00"}],
    },
    Discrepancy=DISCREPANCY,
    ResolveRequest={"resolution": "Adjusted by entry 1195 after the spill recorded on paper was found."},
    SignOffRequest={"note": "Reviewed with the nurse; cabinet restocking now done by two people."},
)

POLICY = {"clinic": w.CLINIC, "keeps_ledger": True, "require_container": True, "unwitnessed_waste_alert_minutes": 30}
RECONCILIATION_ROW = {
    "container_id": VIAL,
    "lot_number": "KTM-24117B",
    "opening_mg": "500.00",
    "received_mg": "0.00",
    "administered_mg": "51.30",
    "wasted_mg": "8.70",
    "other_mg": "-10.00",
    "expected_mg": "430.00",
    "counted_mg": "430.00",
    "difference_mg": "0.00",
}
DISTRIBUTIONS = {
    "registration": REGISTRATION,
    "year": 2026,
    "distributed_mg": "200.00",
    "dispensed_mg": "9800.00",
    "share_percent": "2.00",
    "limit_percent": "5.00",
    "within_limit": True,
    "note": "Distributions to other registrations in 2026: 200.00 mg, 2.00 % of the 10000.00 mg dispensed and "
    "distributed; a practitioner may distribute up to 5 % without a distributor's registration "
    "(21 CFR 1307.11(a)(1)(iv)).",
}

LEDGER = "Every movement is an entry the database keeps for good; the balance moves only through entries."

document(
    views.ProductViewSet,
    tag="Controlled substances",
    list={
        "summary": "List controlled products",
        "description": "The catalogue of products the ledger tracks: name, medication, form, strength, "
        "concentration or unit per device, NDC and DEA schedule. Not of one clinic.",
    },
)
document(
    views.RegistrationViewSet,
    tag="Controlled substances",
    list={
        "summary": "List DEA registrations",
        "description": "Each clinic's DEA registrations: number, name, registrant (the prescriber who signs off), "
        "schedules and expiry. Stock is held under one registration.",
    },
)
document(
    views.ContainerViewSet,
    tag="Controlled substances",
    list={
        "summary": "List containers",
        "description": "Vials, ampoules and device packs of your clinics with their lot, expiry and quantity on hand. "
        "Filter by `clinic`, `product`, `registration` or `lot_number`.",
    },
    retrieve={
        "summary": "Get one container",
        "description": "One container with its product, lot, expiry, what it held when received and what it holds now.",
    },
    create={
        "summary": "Receive a container",
        "description": "Receives stock into a registration: product, lot, expiry, supplier and quantity (mg, or "
        "`devices` for whole-unit products). A second person checks it in by re-entering their credentials "
        "(`checked_by`: username, password and their one-time code). " + LEDGER,
        "examples": [examples.response({**CONTAINER, "on_hand_mg": "500.00"})],
    },
    count_sheet={
        "summary": "Get a blind count sheet",
        "description": "What a count of the `clinic` covers: every container holding stock, with product and lot but "
        "without any quantity, so the counter does not see what to expect. A plain array.",
    },
    waste={
        "summary": "Waste from a container",
        "description": "Records a waste (the rest of an opened vial, a dropped device) with a reason. With `witness` "
        "credentials the witness re-authenticated in this request; without, the waste waits for a witness to "
        "confirm it from their own session (`entries/{id}/witness/`), and the registrant is alerted if nobody has.",
        "examples": [examples.response(WASTE)],
    },
    transfer={
        "summary": "Transfer stock to another clinic",
        "description": "Transfers a quantity to another clinic and registration of the organisation: a "
        "`transfer_out` here and a new container there; answers the `transfer_in` entry of the new container.",
        "examples": [
            examples.response(
                _entry(id=1200, container=58, kind="transfer_in", change_mg="200.00", balance_after_mg="200.00",
                       occurred_at="2026-03-06T16:00:00Z", recorded_at="2026-03-06T16:00:30Z", pair=1199,
                       other_registration=REGISTRATION, reference="DEA-222-260306-01", by=w.NURSE)
            )
        ],
    },
    return_to_supplier={
        "summary": "Return stock to the supplier",
        "description": "Returns a quantity to a supplier or reverse distributor (`counterparty`) with its reference. "
        + LEDGER,
        "examples": [
            examples.response(
                _entry(id=1240, kind="return", change_mg="-440.00", balance_after_mg="0.00",
                       occurred_at="2026-03-20T15:00:00Z", recorded_at="2026-03-20T15:01:00Z",
                       counterparty="Cardinal Health", reference="RMA-55120")
            )
        ],
    },
    adjust={
        "summary": "Adjust a container's count",
        "description": "The registrant's own adjustment after a count, with a reason, optionally closing a "
        "discrepancy. Only the registration's registrant may adjust.",
        "examples": [
            examples.response(
                _entry(id=1195, kind="adjustment", change_mg="-10.00", balance_after_mg="430.00",
                       occurred_at="2026-03-03T14:00:00Z", recorded_at="2026-03-03T14:00:00Z", by=w.PRESCRIBER,
                       signed_off_by=w.PRESCRIBER, discrepancy=6,
                       reason="Count of 2 March: 10 mg short, spill recorded on paper during the 16:00 session.")
            )
        ],
    },
    loss={
        "summary": "Report a loss or theft",
        "description": "Records a loss, theft or loss in transit: its entry, an alert to the registrant at once, and "
        "follow-ups for the written notice (next business day, 17:00 local) and DEA Form 106 (within 45 days).",
    },
)  # fmt: skip
document(
    views.EntryViewSet,
    tag="Controlled substances",
    list={
        "summary": "List ledger entries",
        "description": "The ledger, read-only: receipts, draws, wastes, transfers, returns, adjustments, losses and "
        "corrections, each with the balance after it. Filter by `container`, `kind`, `dose` or `patient`.",
    },
    retrieve={
        "summary": "Get one ledger entry",
        "description": "One entry with who recorded, checked, witnessed or signed it off and the balance after it.",
    },
    correct={
        "summary": "Correct a ledger entry",
        "description": "Entries are never edited: a correction is a new entry referencing this one, with a reason. "
        "On a draw whose dose was charted in error, send no `change_mg`: the draw is reversed (the stock goes back).",
        "examples": [
            examples.response(
                _entry(id=1185, kind="correction", change_mg="51.30", balance_after_mg="491.30", corrects=1180,
                       occurred_at="2026-03-02T15:00:00Z", recorded_at="2026-03-02T15:00:00Z",
                       reason="Dose charted on the wrong session; re-recorded on session 58.")
            )
        ],
    },
    witness={
        "summary": "Witness a pending waste",
        "description": "The signed-in user witnesses a waste waiting for a witness; their own session is the proof, "
        "never someone else's word. The one who wasted cannot witness it (422); a waste already witnessed answers "
        "409 `already_witnessed`.",
        "examples": [examples.response(WASTE)],
    },
)  # fmt: skip
document(
    views.DrawViewSet,
    tag="Controlled substances",
    create={
        "summary": "Draw a dose from a container",
        "description": "Records a dose given from a container: the charted dose (every charting rule applies, see "
        "Charting: dosing) and its draw entry commit together or not at all. Nasal devices are whole units "
        "(`devices`: 2 = 56 mg). When more is drawn than given (`drawn_mg`), the rest is wasted in the same "
        "transaction, witnessed at once with `witness` credentials or left for a witness to confirm.",
    },
)
document(
    views.CountViewSet,
    tag="Controlled substances",
    list={
        "summary": "List counts",
        "description": "Shift, daily and biennial counts with what the counter entered per container. Counts are "
        "blind: the expected figures are not shown here.",
    },
    create={
        "summary": "Record a blind count",
        "description": "Records what the counter saw per container (mg, or devices). The expected quantity of each is "
        "read under a lock as the count is recorded; every difference opens a discrepancy for the registrant. The "
        "answer repeats what was entered, not what was expected.",
    },
)
document(
    views.DiscrepancyViewSet,
    tag="Controlled substances",
    list={
        "summary": "List count discrepancies",
        "description": "Differences between a count and the ledger, open or resolved, with expected, counted and "
        "difference in mg.",
    },
    retrieve={
        "summary": "Get one count discrepancy",
        "description": "One discrepancy with the count and container it concerns and how it was resolved.",
    },
    resolve={
        "summary": "Resolve a count discrepancy",
        "description": "The registrant closes a discrepancy with the reason (an adjustment, an error found, a loss "
        "reported). A resolved discrepancy answers 409 `already_resolved`.",
        "examples": [
            examples.response(
                {
                    **DISCREPANCY,
                    "resolved_at": "2026-03-03T14:05:00Z",
                    "resolved_by": w.PRESCRIBER,
                    "resolution": "Adjusted by entry 1195 after the spill recorded on paper was found.",
                }
            )
        ],
    },
)
document(
    views.LossReportViewSet,
    tag="Controlled substances",
    list={
        "summary": "List loss and theft reports",
        "description": "Losses and thefts reported, with the written notice deadline, the Form 106 due date and the "
        "registrant's sign-off.",
    },
    retrieve={
        "summary": "Get one loss or theft report",
        "description": "One report with its ledger entry, deadlines and whether the registrant signed it off.",
    },
    sign_off={
        "summary": "Sign off a loss or theft report",
        "description": "The registrant signs the report off, with an optional note. Signing it twice answers 409 "
        "`already_signed_off`.",
        "examples": [examples.response({**LOSS_REPORT, "signed_off_by": w.PRESCRIBER})],
    },
)
document(
    views.PolicyViewSet,
    tag="Controlled substances",
    list={
        "summary": "List the ledger policies of your clinics",
        "description": "Per clinic: whether it keeps a ledger (it holds an active DEA registration), whether a "
        "controlled dose must name the container it was drawn from (the hard stop, on by default), and after how "
        "many minutes an unwitnessed waste alerts the registrant. The dose form reads it to ask for a container.",
        "examples": [examples.response(POLICY)],
    },
    retrieve={
        "summary": "Get one clinic's ledger policy",
        "description": "The ledger policy of one clinic, by the clinic's id: whether it keeps a ledger, whether a "
        "controlled dose must name its container, and the unwitnessed-waste alert delay in minutes.",
        "examples": [examples.response(POLICY)],
    },
)
document(
    reports.ReportViewSet,
    tag="Controlled substances",
    reconciliation={
        "summary": "Reconcile a clinic's stock over a period",
        "description": "Per container of the `clinic` from `start` to `end` (the clinic's local dates): the opening "
        "balance, what was received, administered, wasted and otherwise moved (transfers, returns, losses), the "
        "expected closing balance, and the period's last count against the ledger at that time. A plain array.",
        "examples": [examples.response(RECONCILIATION_ROW)],
    },
    inventory={
        "summary": "Download an inventory snapshot (CSV)",
        "description": "A count (the biennial inventory, or any shift or daily count) as a dated snapshot for an "
        "inspector, as CSV with a header row: one row per container with drug name, strength, form, NDC, "
        "schedule, lot, what was counted and what the ledger held then.",
        "examples": [
            examples.response(
                media_type="text/csv",
                value=",".join(selectors.INVENTORY_COLUMNS) + "\r\n",
            )
        ],
    },
    distributions={
        "summary": "A registration's distributions against the 5 % limit",
        "description": "The mg a `registration` distributed to other registrations in a calendar `year` against "
        "what it dispensed, as a share of its total, next to the practitioner's 5 % annual limit "
        "(21 CFR 1307.11), with a note saying whether the limit holds.",
        "examples": [examples.response(DISTRIBUTIONS)],
    },
    dispensing_log={
        "summary": "Download a registration's dispensing log (CSV)",
        "description": "The dispensing log of one `registration` from `start` to `end` (the clinic's local dates), as "
        "CSV with a header row: per entry the date and time, kind, container and lot, drug name, strength, form, "
        "NDC and schedule, quantity and balance after, the patient's name and address for a dose, who administered, "
        "witnessed, checked and signed off. Every row is an audited read of the patient's record.",
        "examples": [
            examples.response(
                media_type="text/csv",
                value="entry_id,date,time,recorded_at,kind,registration,container_id,lot_number,expires_on,drug_name,"
                "strength,dosage_form,ndc,schedule,quantity_mg,devices,volume_ml,balance_after_mg,patient_name,"
                "patient_address,administered_by,witnessed_by,checked_by,signed_off_by,counterparty,"
                "other_registration,distribution,reference,corrects_entry,reason\r\n"
                "1180,2026-03-02,09:10,2026-03-02T09:11:30-05:00,draw,BS1234563,41,KTM-24117B,2027-08-31,"
                "Ketamine HCl injection 50 mg/mL,50 mg/mL,Solution for injection,0409-2051-05,III,-51.30,,1.03,"
                '448.70,Avery Bennett,"12 West 31st Street, Apt 4B, New York, NY 10001","Noah Kim, RN",,,,,,,,,\r\n',
            )
        ],
    },
)
