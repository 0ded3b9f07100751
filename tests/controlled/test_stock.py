"""Receipts, corrections, transfers and distributions, returns, losses and adjustments."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from django.utils import timezone

from controlled.models import Container, ContainerBalance, LedgerEntry, LossReport
from controlled.services.draws import dose_draw, draw_correct_entered_in_error
from controlled.services.stock import (
    container_receive,
    container_transfer,
    count_adjust,
    loss_report,
    loss_report_sign_off,
)
from followups.models import FollowUp
from kat_clinic.errors import Conflict, RuleViolation
from kat_clinic.roles import Role
from tests.controlled.factories import Credentials, KetamineVialFactory, RegistrationFactory

pytestmark = pytest.mark.django_db


def _on_hand(container) -> D:
    return ContainerBalance.objects.get(container=container).on_hand_mg


def test_a_receipt_needs_a_second_person_who_reauthenticates(registration, nurse, nurse2):
    # when: checked by nobody, by the receiver, by a wrong password
    for checker in (
        None,
        Credentials(nurse.user.username, "correct horse battery staple"),
        Credentials(nurse2.user.username, "x"),
    ):
        with pytest.raises(RuleViolation):
            container_receive(
                clinic=registration.clinic,
                registration=registration,
                product=KetamineVialFactory(),
                kind="vial",
                lot_number="L",
                expires_on=dt.date(2030, 1, 1),
                received_at=timezone.now(),
                by=nurse,
                checked_by=checker,
                supplier="Henry Schein",
                quantity_mg=D("500"),
            )

    # then
    assert not Container.objects.exists()
    assert not LedgerEntry.objects.exists()


def test_a_receipt_opens_the_container_with_its_quantity(vial, nurse, nurse2):
    entry = LedgerEntry.objects.get(container=vial)
    assert (entry.kind, entry.change_mg, entry.balance_after_mg, entry.by, entry.checked_by) == (
        "receipt",
        D("500.00"),
        D("500.00"),
        nurse,
        nurse2,
    )
    assert (entry.counterparty, entry.reference, entry.volume_ml) == ("Henry Schein", "INV-1001", D("10.00"))
    assert (vial.initial_mg, vial.initial_ml) == (D("500.00"), D("10.00"))


def test_a_dose_entered_in_error_is_corrected_by_a_new_entry_that_references_the_draw(
    vial, ready_session, nurse, prescriber
):
    # given
    draw = dose_draw(
        container=vial,
        session=ready_session,
        by=nurse,
        ordered_by=prescriber,
        route="iv",
        dose_mg_per_kg=D("0.5"),
        infusion_minutes=40,
        started_at=timezone.now(),
    )

    # when
    correction = draw_correct_entered_in_error(draw=draw, by=prescriber, reason="Charted on the wrong patient")

    # then: the draw is untouched; the correction puts the 40 mg back
    draw.refresh_from_db()
    assert (draw.change_mg, draw.balance_after_mg) == (D("-40.00"), D("460.00"))
    assert (correction.kind, correction.corrects_id, correction.change_mg, correction.balance_after_mg) == (
        "correction",
        draw.pk,
        D("40.00"),
        D("500.00"),
    )
    assert correction.patient_id == ready_session.patient_id
    with pytest.raises(Conflict):
        draw_correct_entered_in_error(draw=draw, by=prescriber, reason="again")
    assert _on_hand(vial) == D("500.00")


def test_a_transfer_between_registrations_is_a_paired_distribution(
    vial, registration, organization, other_clinic, make_staff, nurse
):
    # given: the other clinic holds its own registration
    other_prescriber = make_staff(other_clinic, Role.PRESCRIBER)
    other_registration = RegistrationFactory(clinic=other_clinic, registrant=other_prescriber)

    # when
    arrived = container_transfer(
        container=vial,
        to_clinic=other_clinic,
        to_registration=other_registration,
        by=nurse,
        occurred_at=timezone.now(),
        quantity_mg=D("200"),
        reference="222-0001",
    )

    # then
    out = arrived.pair
    assert (out.kind, out.change_mg, out.distribution, out.other_registration) == (
        "transfer_out",
        D("-200.00"),
        True,
        other_registration,
    )
    assert (arrived.kind, arrived.change_mg, arrived.distribution, arrived.other_registration) == (
        "transfer_in",
        D("200.00"),
        True,
        registration,
    )
    new = arrived.container
    assert (new.clinic, new.registration, new.lot_number, new.expires_on) == (
        other_clinic,
        other_registration,
        vial.lot_number,
        vial.expires_on,
    )
    assert (_on_hand(vial), _on_hand(new)) == (D("300.00"), D("200.00"))


def test_an_adjustment_is_signed_off_by_the_registrant_only(vial, nurse, prescriber, clinic, make_staff):
    # given: another prescriber who is not the registrant
    other = make_staff(clinic, Role.PRESCRIBER)

    # when / then
    for who in (nurse, other):
        with pytest.raises(RuleViolation):
            count_adjust(container=vial, by=who, change_mg=D("-2"), reason="Overfill lost in priming")
    entry = count_adjust(container=vial, by=prescriber, change_mg=D("-2"), reason="Overfill lost in priming")
    assert (entry.kind, entry.signed_off_by, entry.balance_after_mg) == ("adjustment", prescriber, D("498.00"))
    assert LedgerEntry.objects.filter(kind="adjustment").count() == 1


def test_a_loss_raises_an_alert_at_once_and_plans_the_notice_and_form_106(vial, nurse, prescriber):
    # given: discovered on a Friday afternoon in New York
    discovered = dt.datetime(2026, 11, 27, 15, 0, tzinfo=vial.clinic.tz)

    # when
    report = loss_report(
        container=vial,
        by=nurse,
        kind=LossReport.Kind.THEFT,
        discovered_at=discovered,
        description="Vial missing from the locked cabinet",
        quantity_mg=D("100"),
    )

    # then: the notice is due Monday 17:00, the Form 106 45 days on; three alerts to the registrant
    assert report.notice_due_at == dt.datetime(2026, 11, 30, 17, 0, tzinfo=vial.clinic.tz)
    assert report.form_106_due_on == dt.date(2027, 1, 11)
    assert (report.entry.kind, report.entry.change_mg) == ("loss", D("-100.00"))
    kinds = set(FollowUp.objects.filter(staff=prescriber).values_list("kind", flat=True))
    assert kinds == {"controlled_loss_alert", "controlled_loss_notice_due", "controlled_form_106_due"}
    assert _on_hand(vial) == D("400.00")

    # and: only the registrant signs it off, once
    with pytest.raises(RuleViolation):
        loss_report_sign_off(report=report, by=nurse)
    signoff = loss_report_sign_off(report=report, by=prescriber, note="Police informed")
    assert signoff.registrant == prescriber
    with pytest.raises(Conflict):
        loss_report_sign_off(report=report, by=prescriber)
