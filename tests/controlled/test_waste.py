"""Waste: a reason and a second licensed person who proves who they are, never a bare id."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from controlled.models import ContainerBalance, ControlledPolicy, LedgerEntry, Witnessing
from controlled.services.common import Credentials
from controlled.services.draws import waste_record, waste_witness
from followups.models import FollowUp
from kat_clinic.errors import Conflict, RuleViolation
from kat_clinic.models import Licence
from kat_clinic.roles import Role
from tests.controlled.factories import PASSWORD, credentials

pytestmark = pytest.mark.django_db


def _waste(vial, by, **extra):
    return waste_record(
        container=vial,
        by=by,
        quantity_mg=D("20"),
        reason="Vial opened, end of day",
        occurred_at=timezone.now(),
        **extra,
    )


def _unchanged(vial) -> None:
    assert ContainerBalance.objects.get(container=vial).on_hand_mg == D("500.00")
    assert not LedgerEntry.objects.filter(kind="waste").exists()
    assert not Witnessing.objects.exists()


def test_a_waste_witnessed_by_a_second_nurse_who_reauthenticates(vial, nurse, nurse2):
    # when
    entry = _waste(vial, nurse, witness=credentials(nurse2))

    # then
    assert (entry.change_mg, entry.balance_after_mg, entry.reason) == (
        D("-20.00"),
        D("480.00"),
        "Vial opened, end of day",
    )
    witnessing = Witnessing.objects.get(entry=entry)
    assert (witnessing.witness, witnessing.method) == (nurse2, "reauthenticated")


def test_a_waste_witnessed_by_the_waster_is_refused(vial, nurse):
    # when
    with pytest.raises(RuleViolation) as refused:
        _waste(vial, nurse, witness=credentials(nurse))

    # then
    assert refused.value.type == "second_person_is_self"
    _unchanged(vial)


def test_a_witness_with_a_wrong_password_is_refused(vial, nurse, nurse2):
    # when
    with pytest.raises(RuleViolation) as refused:
        _waste(vial, nurse, witness=Credentials(username=nurse2.user.username, password="guessed"))

    # then
    assert refused.value.type == "second_person_not_authenticated"
    assert refused.value.errors == {"witness": ["The second person's credentials did not match."]}
    _unchanged(vial)


def test_a_witness_with_a_device_must_give_their_current_code(vial, nurse, nurse2):
    # given: the witness has a TOTP device
    device = TOTPDevice.objects.create(user=nurse2.user, name="phone", confirmed=True)

    code = f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"

    # when: password only, then a wrong code
    for otp in ("", wrong):
        with pytest.raises(RuleViolation) as refused:
            _waste(vial, nurse, witness=Credentials(username=nurse2.user.username, password=PASSWORD, otp=otp))
        assert refused.value.type == "second_person_not_authenticated"
    _unchanged(vial)

    # and: with the current code it is witnessed
    entry = _waste(vial, nurse, witness=Credentials(username=nurse2.user.username, password=PASSWORD, otp=code))
    assert Witnessing.objects.get(entry=entry).witness == nurse2


def test_a_witness_who_is_not_a_licensed_clinician_is_refused(vial, nurse, clinic, make_staff, nurse2):
    # given: the front desk, and a nurse whose licence lapsed
    front_desk = make_staff(clinic, Role.SCHEDULER)
    Licence.objects.filter(staff=nurse2).update(expires_on=dt.date(2020, 1, 1))

    # when / then
    with pytest.raises(RuleViolation) as refused:
        _waste(vial, nurse, witness=credentials(front_desk))
    assert refused.value.type == "role_required"
    with pytest.raises(RuleViolation) as refused:
        _waste(vial, nurse, witness=credentials(nurse2))
    assert refused.value.type == "second_person_unlicensed"
    _unchanged(vial)


def test_a_waste_without_a_witness_waits_and_is_confirmed_from_the_witness_own_session(vial, nurse, nurse2, prescriber):
    # given: a waste recorded with no witness yet (an alert to the registrant is planned)
    entry = _waste(vial, nurse)
    alert = FollowUp.objects.get(idempotency_key=f"controlled:waste-unwitnessed:{entry.pk}")
    assert (alert.status, alert.staff_id) == ("pending", prescriber.pk)

    # when: the waster cannot confirm it; the second nurse does, signed in as herself
    with pytest.raises(RuleViolation):
        waste_witness(entry=entry, witness=nurse)
    witnessing = waste_witness(entry=entry, witness=nurse2)

    # then: witnessed once, and the alert is called off
    assert (witnessing.witness, witnessing.method) == (nurse2, "own_session")
    alert.refresh_from_db()
    assert (alert.status, alert.last_error) == ("cancelled", "witnessed")
    with pytest.raises(Conflict):
        waste_witness(entry=entry, witness=prescriber)
    assert Witnessing.objects.filter(entry=entry).count() == 1


def test_a_waste_without_a_reason_is_refused(vial, nurse, nurse2):
    with pytest.raises(RuleViolation) as refused:
        waste_record(
            container=vial,
            by=nurse,
            quantity_mg=D("20"),
            reason="  ",
            occurred_at=timezone.now(),
            witness=credentials(nurse2),
        )
    assert refused.value.type == "reason_required"
    _unchanged(vial)


def test_the_database_refuses_the_waster_as_witness_whatever_the_code(vial, nurse):
    # given
    entry = _waste(vial, nurse)

    # when / then: written past the services
    with pytest.raises(IntegrityError), transaction.atomic():
        Witnessing.objects.create(entry=entry, witness=nurse, method="own_session")
    assert not Witnessing.objects.exists()


def test_wasting_more_than_is_left_is_refused(vial, nurse, nurse2):
    with pytest.raises(RuleViolation) as refused:
        waste_record(
            container=vial,
            by=nurse,
            quantity_mg=D("500.01"),
            reason="Dropped",
            occurred_at=timezone.now(),
            witness=credentials(nurse2),
        )
    assert refused.value.type == "insufficient_stock"
    _unchanged(vial)


def test_the_unwitnessed_waste_alert_waits_the_clinics_configured_time(vial, nurse, prescriber):
    # given: the clinic gives witnesses 10 minutes, not the default 30
    ControlledPolicy.objects.create(clinic=vial.clinic, unwitnessed_waste_alert_minutes=10)
    before = timezone.now()

    # when
    entry = _waste(vial, nurse)

    # then: the registrant's alert falls due 10 minutes on
    alert = FollowUp.objects.get(idempotency_key=f"controlled:waste-unwitnessed:{entry.pk}")
    after = timezone.now()
    assert (alert.kind, alert.staff_id, alert.status) == ("controlled_unwitnessed_waste", prescriber.pk, "pending")
    assert before + dt.timedelta(minutes=10) <= alert.due_at <= after + dt.timedelta(minutes=10)
