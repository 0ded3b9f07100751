"""The ledger over HTTP: who may do what, the blind count, the witness step and the dispensing log."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal as D

import pytest
from django.utils import timezone

from controlled.models import Container, ContainerBalance, LedgerEntry, Witnessing
from controlled.services.draws import dose_draw, waste_record
from kat_clinic.models import AuditEvent
from kat_clinic.roles import Role
from tests.controlled.factories import PASSWORD, KetamineVialFactory, credentials

pytestmark = pytest.mark.django_db
P = "/api/v1/controlled"


def _values(body) -> list:
    """Every value of a JSON body but the instants (their fraction of a second may hold any digits)."""
    if isinstance(body, dict):
        return [v for k, item in body.items() if not k.endswith("_at") for v in _values(item)]
    if isinstance(body, list):
        return [v for item in body for v in _values(item)]
    return [body]


def _receive_body(registration, checker, **extra):
    return {
        "clinic": registration.clinic_id,
        "registration": registration.pk,
        "product": KetamineVialFactory().pk,
        "kind": "vial",
        "lot_number": "KET-55",
        "expires_on": (timezone.localdate() + dt.timedelta(days=200)).isoformat(),
        "received_at": timezone.now().isoformat(),
        "supplier": "Henry Schein",
        "quantity_mg": "500.00",
        "checked_by": {"username": checker.user.username, "password": PASSWORD},
        **extra,
    }


def test_a_nurse_receives_a_vial_checked_by_a_second_nurse(api, registration, nurse, nurse2):
    # when
    response = api(nurse).post(f"{P}/containers/", _receive_body(registration, nurse2), format="json")

    # then
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["lot_number"], body["initial_mg"], body["initial_ml"], body["on_hand_mg"]) == (
        "KET-55",
        "500.00",
        "10.00",
        "500.00",
    )
    entry = LedgerEntry.objects.get(container_id=body["id"])
    assert (entry.kind, entry.by, entry.checked_by) == ("receipt", nurse, nurse2)


def test_a_receipt_naming_a_checker_without_their_password_is_refused(api, registration, nurse, nurse2):
    body = _receive_body(registration, nurse2)
    body["checked_by"] = {"username": nurse2.user.username, "password": "not it"}

    response = api(nurse).post(f"{P}/containers/", body, format="json")

    assert response.status_code == 422
    assert response.json()["type"] == "urn:kat-clinic:problem:second_person_not_authenticated"
    assert not Container.objects.exists()


@pytest.mark.parametrize("role", [Role.SCHEDULER, Role.THERAPIST])
def test_the_front_desk_and_therapists_hold_none_of_the_ledger(api, clinic, make_staff, vial, role, registration):
    staff = make_staff(clinic, role)
    client = api(staff)
    for url in (f"{P}/containers/", f"{P}/entries/", f"{P}/registrations/", f"{P}/products/"):
        assert client.get(url).status_code == 403, url
    assert client.post(f"{P}/containers/", _receive_body(registration, staff), format="json").status_code == 403
    assert Container.objects.count() == 1


def test_a_draw_over_the_api_charts_the_dose_with_the_container(api, vial, ready_session, nurse, prescriber):
    # when
    response = api(nurse).post(
        f"{P}/draws/",
        {
            "container": vial.pk,
            "session": ready_session.pk,
            "ordered_by": prescriber.pk,
            "route": "iv",
            "dose_mg_per_kg": "0.500",
            "infusion_minutes": 40,
            "started_at": timezone.now().isoformat(),
        },
        format="json",
    )

    # then: the chart's dose and the ledger's entry name each other, with the lot
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["kind"], body["change_mg"], body["balance_after_mg"], body["lot_number"]) == (
        "draw",
        "-40.00",
        "460.00",
        "KET-2291",
    )
    listed = api(nurse).get(f"{P}/entries/", {"dose": body["dose"]}).json()["results"]
    assert [(e["id"], e["container"], e["lot_number"]) for e in listed] == [(body["id"], vial.pk, "KET-2291")]


def test_a_witness_confirms_a_pending_waste_from_their_own_session_and_the_waster_cannot(api, vial, nurse, nurse2):
    # given
    entry = waste_record(container=vial, by=nurse, quantity_mg=D("20"), reason="End of day", occurred_at=timezone.now())

    # when: the waster tries, then the second nurse confirms
    refused = api(nurse).post(f"{P}/entries/{entry.pk}/witness/")
    confirmed = api(nurse2).post(f"{P}/entries/{entry.pk}/witness/")

    # then
    assert (refused.status_code, refused.json()["type"]) == (422, "urn:kat-clinic:problem:second_person_is_self")
    assert confirmed.status_code == 201
    assert confirmed.json()["witnessed_by"] == nurse2.pk
    assert Witnessing.objects.get(entry=entry).method == "own_session"


def test_a_waste_naming_a_witness_by_id_alone_is_refused(api, vial, nurse, nurse2):
    response = api(nurse).post(
        f"{P}/containers/{vial.pk}/waste/",
        {
            "quantity_mg": "20.00",
            "reason": "End of day",
            "occurred_at": timezone.now().isoformat(),
            "witness": nurse2.pk,
        },
        format="json",
    )
    assert response.status_code == 400
    assert not LedgerEntry.objects.filter(kind="waste").exists()


def test_the_blind_count_never_shows_the_expected_figure(api, vial, nurse2, prescriber):
    # when: the sheet, then a count that differs
    sheet = api(nurse2).get(f"{P}/containers/count-sheet/", {"clinic": vial.clinic_id})
    response = api(nurse2).post(
        f"{P}/counts/",
        {
            "clinic": vial.clinic_id,
            "kind": "shift",
            "counted_at": timezone.now().isoformat(),
            "lines": [{"container": vial.pk, "counted_mg": "450.00"}],
        },
        format="json",
    )

    # then: neither answer carries the ledger's 500 mg; the registrant sees the discrepancy
    assert sheet.status_code == 200
    assert sheet.json() == [
        {
            "id": vial.pk,
            "product": vial.product_id,
            "product_name": "Ketamine HCl",
            "strength": "50 mg/mL",
            "kind": "vial",
            "lot_number": "KET-2291",
            "expires_on": vial.expires_on.isoformat(),
            "counts_devices": False,
        }
    ]
    assert response.status_code == 201
    assert response.json()["lines"] == [{"container": vial.pk, "counted_mg": "450.00", "counted_devices": None}]
    assert not [v for v in _values(sheet.json()) + _values(response.json()) if "500" in str(v)]
    open_ = api(prescriber).get(f"{P}/discrepancies/").json()["results"]
    assert [(d["container"], d["expected_mg"], d["counted_mg"], d["difference_mg"]) for d in open_] == [
        (vial.pk, "500.00", "450.00", "-50.00")
    ]


def test_the_dispensing_log_balances_to_each_container_on_hand(
    api, vial, registration, ready_session, nurse, nurse2, prescriber, admin_staff
):
    # given: a receipt, a 40 mg dose drawn 50 mg with 10 mg wasted and witnessed, a waste of the rest
    dose_draw(
        container=vial,
        session=ready_session,
        by=nurse,
        ordered_by=prescriber,
        route="iv",
        dose_mg_per_kg=D("0.5"),
        infusion_minutes=40,
        started_at=timezone.now(),
        drawn_mg=D("50"),
        waste_reason="Rest of the syringe",
        witness=credentials(nurse2),
    )
    waste_record(
        container=vial,
        by=nurse,
        quantity_mg=D("450"),
        reason="Vial opened: discard",
        occurred_at=timezone.now(),
        witness=credentials(nurse2),
    )
    today = vial.clinic.local_date()
    # The vial was received an hour ago: on the previous local day in the clinic's first hour.
    received_on = vial.clinic.local_date(timezone.now() - dt.timedelta(hours=1))
    audit_rows = AuditEvent.objects.count()

    # when: the admin downloads the log
    response = api(admin_staff).get(
        f"{P}/reports/dispensing-log/",
        {"registration": registration.pk, "start": received_on.isoformat(), "end": today.isoformat()},
    )

    # then
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [(r["kind"], r["quantity_mg"], r["balance_after_mg"]) for r in rows] == [
        ("receipt", "500.00", "500.00"),
        ("draw", "-40.00", "460.00"),
        ("waste", "-10.00", "450.00"),
        ("waste", "-450.00", "0.00"),
    ]
    assert sum(D(r["quantity_mg"]) for r in rows) == ContainerBalance.objects.get(container=vial).on_hand_mg == 0
    draw = rows[1]
    patient = ready_session.patient
    assert (
        draw["patient_name"],
        draw["patient_address"],
        draw["drug_name"],
        draw["strength"],
        draw["dosage_form"],
    ) == (
        f"{patient.first_name} {patient.last_name}",
        patient.address,
        "Ketamine HCl",
        "50 mg/mL",
        "Solution for injection",
    )
    assert (draw["administered_by"], draw["date"], rows[2]["witnessed_by"]) == (
        str(nurse),
        today.isoformat(),
        str(nurse2),
    )
    # and: the download is audited like any PHI read, with the patient
    event = AuditEvent.objects.order_by("-pk").first()
    assert AuditEvent.objects.count() == audit_rows + 1
    assert (event.clinic_id, event.patient_ids, event.resource_type) == (
        vial.clinic_id,
        [patient.pk],
        "controlled_report",
    )


def test_a_nurse_cannot_download_the_dispensing_log(api, registration, nurse):
    today = timezone.localdate().isoformat()
    response = api(nurse).get(
        f"{P}/reports/dispensing-log/", {"registration": registration.pk, "start": today, "end": today}
    )
    assert response.status_code == 403


def test_the_entry_list_has_a_fixed_query_count(api, vial, nurse, nurse2, django_assert_max_num_queries):
    # given: several wastes, witnessed
    for _ in range(5):
        waste_record(
            container=vial,
            by=nurse,
            quantity_mg=D("1"),
            reason="Priming",
            occurred_at=timezone.now(),
            witness=credentials(nurse2),
        )

    # when / then
    with django_assert_max_num_queries(8):
        response = api(nurse).get(f"{P}/entries/")
    assert response.json()["count"] == 6
