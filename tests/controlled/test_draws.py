"""Draws: the dose and its draw entry in one transaction; the container policy; expiry; devices."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from django.utils import timezone

from controlled.models import ContainerBalance, ControlledPolicy, LedgerEntry, Witnessing
from controlled.services.draws import dose_draw
from followups.models import FollowUp
from kat_clinic.errors import RuleViolation
from kat_clinic.models import ClinicCertification
from monitoring.models import DoseAdministration, RemsPatientEnrollment
from monitoring.services.dosing import dose_record
from tests.controlled.factories import EsketamineDeviceFactory, credentials, receive

pytestmark = pytest.mark.django_db


def _on_hand(container) -> D:
    return ContainerBalance.objects.get(container=container).on_hand_mg


def _iv(**extra) -> dict:
    return {"route": "iv", "dose_mg_per_kg": D("0.5"), "infusion_minutes": 40, "started_at": timezone.now(), **extra}


def test_a_draw_records_the_dose_and_its_entry_together(vial, ready_session, nurse, prescriber):
    # given: a 500 mg vial of 50 mg/mL and an 80 kg patient ready to dose
    # when: 0.5 mg/kg is drawn and given
    entry = dose_draw(container=vial, session=ready_session, by=nurse, ordered_by=prescriber, **_iv())

    # then: one 40 mg dose charted with the vial's lot, one draw entry, 460 mg left
    dose = DoseAdministration.objects.get(session=ready_session)
    assert (dose.dose_mg, dose.lot_number, dose.lot_expires_on) == (D("40.00"), "KET-2291", vial.expires_on)
    assert dose.volume_ml == D("0.80")
    assert (entry.kind, entry.change_mg, entry.balance_after_mg, entry.dose_id) == (
        "draw",
        D("-40.00"),
        D("460.00"),
        dose.pk,
    )
    assert entry.patient_id == ready_session.patient_id
    assert _on_hand(vial) == D("460.00")


def test_a_controlled_dose_without_a_container_is_refused_and_nothing_written(vial, ready_session, nurse, prescriber):
    # given: a clinic keeping its ledger, with the default policy (container required)
    # when: a ketamine dose is charted the other way, straight through the dose service
    with pytest.raises(RuleViolation) as refused:
        dose_record(
            session=ready_session,
            by=nurse,
            ordered_by=prescriber,
            medication="ketamine",
            lot_number="KET-2291",
            lot_expires_on=vial.expires_on,
            concentration_mg_per_ml=D("50"),
            **_iv(),
        )

    # then: refused by the same-transaction hook; no dose, no entry, the vial untouched
    assert refused.value.type == "container_required"
    assert DoseAdministration.objects.count() == 0
    assert LedgerEntry.objects.filter(kind="draw").count() == 0
    assert _on_hand(vial) == D("500.00")


def test_a_clinic_that_switched_the_policy_off_may_chart_a_dose_without_a_container(
    vial, ready_session, nurse, prescriber
):
    # given
    ControlledPolicy.objects.create(clinic=ready_session.clinic, require_container=False)

    # when
    dose = dose_record(
        session=ready_session,
        by=nurse,
        ordered_by=prescriber,
        medication="ketamine",
        lot_number="KET-2291",
        lot_expires_on=vial.expires_on,
        **_iv(),
    )

    # then
    assert DoseAdministration.objects.get().pk == dose.pk
    assert _on_hand(vial) == D("500.00")


def test_an_expired_container_is_refused(registration, nurse, nurse2, prescriber, ready_session):
    # given: a vial expiring today (the clinic's day), drawn from tomorrow
    today = registration.clinic.local_date()
    expired = receive(registration=registration, by=nurse, checker=nurse2, expires_on=today, lot_number="OLD-1")
    tomorrow = timezone.now() + dt.timedelta(days=1)

    # when
    with pytest.raises(RuleViolation) as refused:
        dose_draw(container=expired, session=ready_session, by=nurse, ordered_by=prescriber, **_iv(started_at=tomorrow))

    # then
    assert refused.value.type == "container_expired"
    assert DoseAdministration.objects.count() == 0
    assert _on_hand(expired) == D("500.00")


def test_drawing_more_than_the_dose_needs_a_waste_with_a_reason(vial, ready_session, nurse, prescriber):
    # when: 50 mg drawn for a 40 mg dose, no waste recorded
    with pytest.raises(RuleViolation) as refused:
        dose_draw(container=vial, session=ready_session, by=nurse, ordered_by=prescriber, drawn_mg=D("50"), **_iv())

    # then
    assert refused.value.type == "waste_required"
    assert DoseAdministration.objects.count() == 0
    assert _on_hand(vial) == D("500.00")


def test_the_rest_of_a_draw_is_wasted_with_a_witness_who_reauthenticates(
    vial, ready_session, nurse, nurse2, prescriber
):
    # when: 50 mg drawn, 40 mg given, 10 mg wasted in front of the second nurse
    entry = dose_draw(
        container=vial,
        session=ready_session,
        by=nurse,
        ordered_by=prescriber,
        drawn_mg=D("50"),
        waste_reason="Rest of the syringe",
        witness=credentials(nurse2),
        **_iv(),
    )

    # then
    waste = LedgerEntry.objects.get(kind="waste")
    assert (entry.change_mg, waste.change_mg, waste.draw_id, waste.balance_after_mg) == (
        D("-40.00"),
        D("-10.00"),
        entry.pk,
        D("450.00"),
    )
    assert Witnessing.objects.get(entry=waste).witness == nurse2
    assert _on_hand(vial) == D("450.00")
    assert not FollowUp.objects.exists()


def test_an_unwitnessed_rest_waits_for_a_witness_and_alerts_the_registrant(vial, ready_session, nurse, prescriber):
    # when
    before = timezone.now()
    dose_draw(
        container=vial,
        session=ready_session,
        by=nurse,
        ordered_by=prescriber,
        drawn_mg=D("50"),
        waste_reason="Rest of the syringe",
        **_iv(),
    )

    # then: an alert to the registrant, due after the clinic's 30 minutes
    waste = LedgerEntry.objects.get(kind="waste")
    alert = FollowUp.objects.get()
    assert (alert.kind, alert.staff_id, alert.payload) == (
        "controlled_unwitnessed_waste",
        prescriber.pk,
        {"entry_id": waste.pk, "container_id": vial.pk},
    )
    assert before + dt.timedelta(minutes=30) <= alert.due_at <= timezone.now() + dt.timedelta(minutes=30)
    assert not Witnessing.objects.exists()


def _esketamine_ready(session, clinic, nurse):
    RemsPatientEnrollment.objects.create(
        patient=session.patient, rems_patient_id="REMS-9", enrolled_on=clinic.local_date(), recorded_by=nurse
    )
    ClinicCertification.objects.create(
        clinic=clinic,
        kind=ClinicCertification.Kind.ESKETAMINE_REMS,
        identifier="SITE-1",
        valid_from=dt.date(2024, 1, 1),
        expires_on=dt.date(2035, 1, 1),
    )


def test_esketamine_devices_are_drawn_whole(registration, clinic, ready_session, nurse, nurse2, prescriber):
    # given: a pack of 6 devices of 28 mg, a patient enrolled in the REMS
    pack = receive(registration=registration, by=nurse, checker=nurse2, product=EsketamineDeviceFactory(), devices=6)
    _esketamine_ready(ready_session, clinic, nurse)

    # when: 2 devices are used
    entry = dose_draw(
        container=pack,
        session=ready_session,
        by=nurse,
        ordered_by=prescriber,
        route="intranasal",
        devices=2,
        started_at=timezone.now(),
    )

    # then: 56 mg given and drawn, 4 devices (112 mg) left
    dose = DoseAdministration.objects.get()
    assert (dose.medication, dose.dose_mg) == ("esketamine", D("56.00"))
    assert (entry.devices, entry.change_mg) == (2, D("-56.00"))
    assert _on_hand(pack) == D("112.00")
    assert pack.initial_mg == D("168.00")


def test_esketamine_is_refused_without_a_number_of_devices(
    registration, clinic, ready_session, nurse, nurse2, prescriber
):
    # given
    pack = receive(registration=registration, by=nurse, checker=nurse2, product=EsketamineDeviceFactory(), devices=3)
    _esketamine_ready(ready_session, clinic, nurse)

    # when
    with pytest.raises(RuleViolation) as refused:
        dose_draw(
            container=pack,
            session=ready_session,
            by=nurse,
            ordered_by=prescriber,
            route="intranasal",
            dose_mg=D("50"),
            started_at=timezone.now(),
        )

    # then
    assert refused.value.type == "whole_devices"
    assert DoseAdministration.objects.count() == 0
    assert _on_hand(pack) == D("84.00")


def test_the_database_refuses_an_entry_that_is_not_whole_devices(registration, nurse, nurse2):
    # given
    pack = receive(registration=registration, by=nurse, checker=nurse2, product=EsketamineDeviceFactory(), devices=3)

    # when: written past the service, 30 mg as "1 device"
    from controlled.services.common import write_entry

    with pytest.raises(RuleViolation) as refused:
        write_entry(
            container=pack,
            kind="waste",
            change_mg=D("-30"),
            devices=1,
            occurred_at=timezone.now(),
            by=nurse,
            reason="x",
        )

    # then
    assert refused.value.type == "whole_devices"
    assert _on_hand(pack) == D("84.00")
