"""The ledger's reports over HTTP: reconciliation, the inventory snapshot, distributions against the
5 % limit; the lists the screens use (a session's draws, wastes awaiting a witness, open
discrepancies, the clinic's policy)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal as D

import pytest
from django.utils import timezone

from controlled.models import ControlledPolicy, Count, Registration
from controlled.services.counts import CountedLine, count_record
from controlled.services.draws import dose_draw, waste_record
from controlled.services.stock import container_transfer
from kat_clinic.models import AuditEvent, ClinicMembership
from kat_clinic.roles import Role
from tests.controlled.factories import EsketamineDeviceFactory, RegistrationFactory, credentials, receive

pytestmark = pytest.mark.django_db
P = "/api/v1/controlled"


@pytest.fixture
def drawn_and_wasted(vial, ready_session, nurse, nurse2, prescriber):
    """The 500 mg vial: a 40 mg dose drawn, 100 mg wasted with a witness, 360 mg left."""
    dose_draw(
        container=vial,
        session=ready_session,
        by=nurse,
        ordered_by=prescriber,
        route="iv",
        dose_mg_per_kg=D("0.5"),
        infusion_minutes=40,
        started_at=timezone.now(),
    )
    waste_record(
        container=vial,
        by=nurse,
        quantity_mg=D("100"),
        reason="Beyond use",
        occurred_at=timezone.now(),
        witness=credentials(nurse2),
    )
    return vial


def _days(clinic) -> dict:
    # received an hour ago: yesterday's date shortly after midnight, so the period starts yesterday
    today = clinic.local_date()
    return {"start": (today - dt.timedelta(days=1)).isoformat(), "end": today.isoformat()}


def test_the_reconciliation_sets_expected_against_counted_administered_and_wasted(
    api, drawn_and_wasted, nurse2, prescriber, clinic
):
    # given: a blind count that finds what the ledger holds
    count_record(
        clinic=clinic,
        kind=Count.Kind.DAILY,
        by=nurse2,
        counted_at=timezone.now(),
        lines=[CountedLine(container_id=drawn_and_wasted.pk, counted_mg=D("360.00"))],
    )
    audit_rows = AuditEvent.objects.count()

    # when
    response = api(prescriber).get(f"{P}/reports/reconciliation/", {"clinic": clinic.pk, **_days(clinic)})

    # then
    assert response.status_code == 200
    assert response.json() == [
        {
            "container_id": drawn_and_wasted.pk,
            "lot_number": "KET-2291",
            "opening_mg": "0.00",
            "received_mg": "500.00",
            "administered_mg": "40.00",
            "wasted_mg": "100.00",
            "other_mg": "0.00",
            "expected_mg": "360.00",
            "counted_mg": "360.00",
            "difference_mg": "0.00",
        }
    ]
    event = AuditEvent.objects.order_by("-pk").first()
    assert AuditEvent.objects.count() == audit_rows + 1
    assert (event.resource_type, event.action, event.clinic_id) == ("controlled_report", "reconciliation", clinic.pk)


def test_the_reconciliation_of_a_clinic_outside_ones_own_is_not_found(api, vial, prescriber, other_clinic):
    response = api(prescriber).get(f"{P}/reports/reconciliation/", {"clinic": other_clinic.pk, **_days(vial.clinic)})
    assert response.status_code == 404


def test_the_biennial_inventory_is_a_dated_snapshot_of_every_container(
    api, drawn_and_wasted, registration, nurse, nurse2, prescriber, clinic
):
    # given: an unopened pack of three esketamine devices beside the opened vial, counted
    pack = receive(registration=registration, by=nurse, checker=nurse2, product=EsketamineDeviceFactory(), devices=3)
    count = count_record(
        clinic=clinic,
        kind=Count.Kind.BIENNIAL,
        by=nurse2,
        counted_at=timezone.now(),
        lines=[
            CountedLine(container_id=drawn_and_wasted.pk, counted_mg=D("360.00")),
            CountedLine(container_id=pack.pk, counted_devices=3),
        ],
    )

    # when
    response = api(prescriber).get(f"{P}/reports/inventory/", {"count": count.pk})

    # then
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [
        (r["container_id"], r["drug_name"], r["dosage_form"], r["opened"], r["counted_mg"], r["counted_devices"])
        for r in rows
    ] == [
        (str(pack.pk), "Esketamine (Spravato)", "Nasal spray device", "no", "84.00", "3"),
        (str(drawn_and_wasted.pk), "Ketamine HCl", "Solution for injection", "yes", "360.00", ""),
    ]
    local = count.counted_at.astimezone(clinic.tz)
    assert {(r["count_kind"], r["counted_at"], r["registration"]) for r in rows} == {
        ("biennial", local.isoformat(timespec="minutes"), registration.number)
    }
    assert {r["difference_mg"] for r in rows} == {"0.00"}


def test_a_distribution_is_reported_against_the_practitioners_five_percent_limit(
    api, drawn_and_wasted, registration, other_clinic, make_staff, nurse, prescriber
):
    # given: 40 mg administered, then 10 mg distributed to the other clinic's registration
    other = RegistrationFactory(clinic=other_clinic, registrant=make_staff(other_clinic, Role.PRESCRIBER))
    container_transfer(
        container=drawn_and_wasted,
        to_clinic=other_clinic,
        to_registration=other,
        by=nurse,
        occurred_at=timezone.now(),
        quantity_mg=D("10"),
    )
    year = drawn_and_wasted.clinic.local_date().year

    # when
    response = api(prescriber).get(f"{P}/reports/distributions/", {"registration": registration.pk, "year": year})

    # then: 10 of 50 mg is 20 %, above the limit, and the note says so
    assert response.status_code == 200
    body = response.json()
    assert {k: body[k] for k in ("distributed_mg", "dispensed_mg", "share_percent", "limit_percent")} == {
        "distributed_mg": "10.00",
        "dispensed_mg": "40.00",
        "share_percent": "20.00",
        "limit_percent": "5.00",
    }
    assert body["within_limit"] is False
    assert "5 %" in body["note"] and "distributor's registration" in body["note"]


def test_the_chart_finds_each_dose_container_and_lot_by_session(api, drawn_and_wasted, ready_session, nurse):
    response = api(nurse).get(f"{P}/entries/", {"session": ready_session.pk})

    assert response.status_code == 200
    assert [(e["kind"], e["container"], e["lot_number"], e["change_mg"]) for e in response.json()["results"]] == [
        ("draw", drawn_and_wasted.pk, "KET-2291", "-40.00")
    ]


def test_the_witness_step_lists_only_wastes_nobody_has_witnessed(api, drawn_and_wasted, nurse, nurse2):
    # given: besides the witnessed waste, one waiting for a witness
    pending = waste_record(
        container=drawn_and_wasted, by=nurse, quantity_mg=D("5"), reason="Dropped syringe", occurred_at=timezone.now()
    )

    # when
    response = api(nurse2).get(f"{P}/entries/", {"kind": "waste", "witnessed": "false"})

    # then
    assert [e["id"] for e in response.json()["results"]] == [pending.pk]
    witnessed = api(nurse2).get(f"{P}/entries/", {"kind": "waste", "witnessed": "true"}).json()["results"]
    assert [e["reason"] for e in witnessed] == ["Beyond use"]


def test_open_discrepancies_are_listed_until_resolved(api, vial, nurse2, prescriber, clinic):
    # given: a count 10 mg short
    count_record(
        clinic=clinic,
        kind=Count.Kind.SHIFT,
        by=nurse2,
        counted_at=timezone.now(),
        lines=[CountedLine(container_id=vial.pk, counted_mg=D("490.00"))],
    )
    client = api(prescriber)
    [open_] = client.get(f"{P}/discrepancies/", {"open": "true"}).json()["results"]

    # when: the registrant resolves it
    resolved = client.post(f"{P}/discrepancies/{open_['id']}/resolve/", {"resolution": "Recounted: 500 mg"})

    # then
    assert resolved.status_code == 200
    assert client.get(f"{P}/discrepancies/", {"open": "true"}).json()["results"] == []
    assert [d["id"] for d in client.get(f"{P}/discrepancies/", {"open": "false"}).json()["results"]] == [open_["id"]]


def test_the_policy_says_whether_a_dose_must_name_its_container(api, registration, clinic, other_clinic, make_staff):
    # given: the clinic keeps a ledger; a nurse of both clinics; the other clinic keeps none
    nurse = make_staff(clinic, Role.NURSE)
    ClinicMembership.objects.create(staff=nurse, clinic=other_clinic, role=Role.NURSE)

    # when
    listed = api(nurse).get(f"{P}/policies/").json()["results"]

    # then
    assert listed == [
        {"clinic": clinic.pk, "keeps_ledger": True, "require_container": True, "unwitnessed_waste_alert_minutes": 30},
        {
            "clinic": other_clinic.pk,
            "keeps_ledger": False,
            "require_container": False,
            "unwitnessed_waste_alert_minutes": 30,
        },
    ]
    # and a clinic that switched the policy off
    ControlledPolicy.objects.create(clinic=clinic, require_container=False, unwitnessed_waste_alert_minutes=15)
    assert api(nurse).get(f"{P}/policies/{clinic.pk}/").json() == {
        "clinic": clinic.pk,
        "keeps_ledger": True,
        "require_container": False,
        "unwitnessed_waste_alert_minutes": 15,
    }


@pytest.mark.parametrize(
    "path",
    ["reports/reconciliation/", "reports/inventory/", "reports/distributions/", "policies/"],
)
def test_the_front_desk_reads_no_report_or_policy(api, scheduler, registration, path):
    response = api(scheduler).get(f"{P}/{path}", {"clinic": registration.clinic_id, "count": 1, "year": 2026})
    assert response.status_code == 403


def test_a_nurse_reads_no_report(api, nurse, registration):
    response = api(nurse).get(f"{P}/reports/distributions/", {"registration": registration.pk, "year": 2026})
    assert response.status_code == 403
    assert Registration.objects.count() == 1
