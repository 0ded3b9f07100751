"""Draws (a dose and its ledger entry, one transaction), wastes and their witnesses, corrections."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from controlled import outbox
from controlled.models import Container, LedgerEntry, Witnessing
from controlled.policy import drawing_from, policy_for
from controlled.services.common import (
    Credentials,
    check_second_person,
    lock_container,
    require,
    second_person,
    units_to_mg,
    write_entry,
)
from kat_clinic.errors import Conflict, RuleViolation
from kat_clinic.models import StaffMember
from monitoring.models import DoseAdministration
from monitoring.services.dosing import dose_record
from sessions.models import Session

K = LedgerEntry.Kind


def _refuse_expired(container: Container, at: dt.datetime) -> None:
    if container.expires_on < container.clinic.local_date(at):
        raise RuleViolation(
            f"The container expired on {container.expires_on}.",
            code="container_expired",
            errors={"container": ["Expired: return it or waste it, never draw from it."]},
        )


@transaction.atomic
def dose_draw(
    *,
    container: Container,
    session: Session,
    by: StaffMember,
    ordered_by: StaffMember,
    route: str,
    started_at: dt.datetime,
    kind: str = DoseAdministration.Kind.INITIAL,
    dose_mg_per_kg: Decimal | None = None,
    dose_mg: Decimal | None = None,
    devices: int | None = None,
    infusion_minutes: int | None = None,
    stopped_at: dt.datetime | None = None,
    cap_override_reason: str = "",
    drawn_mg: Decimal | None = None,
    waste_reason: str = "",
    witness: Credentials | None = None,
) -> LedgerEntry:
    """Record a dose drawn from `container`: the dose row (monitoring's dose service, every charting
    rule included) and its draw entry commit together or not at all.

    Nasal devices are whole units: `devices` gives the dose (2 devices = 56 mg). When more is drawn
    than given (`drawn_mg`), the rest is a waste of this draw in the same transaction: with
    `witness` credentials it is witnessed at once, otherwise it waits for a witness's confirmation.
    """
    require(staff=by, operation="controlled.draw", clinic_id=container.clinic_id)
    container = lock_container(container_id=container.pk)
    if container.clinic_id != session.clinic_id:
        raise RuleViolation(
            "The container is stored at another clinic.",
            code="container_elsewhere",
            errors={"container": ["Not a container of this session's clinic."]},
        )
    _refuse_expired(container, started_at)
    product = container.product
    if product.unit_mg is not None:
        dose_mg, devices = units_to_mg(container=container, quantity_mg=None, devices=devices)
        dose_mg_per_kg = None
    elif devices:
        raise RuleViolation("Only nasal devices count devices.", code="invalid_quantity", errors={"devices": ["Omit."]})

    with drawing_from(container.pk):
        dose = dose_record(
            session=session,
            by=by,
            ordered_by=ordered_by,
            medication=product.medication,
            route=route,
            lot_number=container.lot_number,
            lot_expires_on=container.expires_on,
            started_at=started_at,
            kind=kind,
            dose_mg_per_kg=dose_mg_per_kg,
            dose_mg=dose_mg,
            concentration_mg_per_ml=product.concentration_mg_per_ml,
            infusion_minutes=infusion_minutes,
            stopped_at=stopped_at,
            cap_override_reason=cap_override_reason,
        )
    given = dose.dose_mg
    drawn = given if drawn_mg is None else drawn_mg
    if drawn < given:
        raise RuleViolation(
            f"{drawn} mg drawn cannot give a {given} mg dose.",
            code="drawn_below_dose",
            errors={"drawn_mg": [f"At least {given} mg."]},
        )
    remainder = drawn - given
    if remainder and product.unit_mg is not None:
        raise RuleViolation(
            "A nasal device is used whole.", code="whole_devices", errors={"drawn_mg": ["Omit for devices."]}
        )
    if remainder and not waste_reason.strip():
        raise RuleViolation(
            f"{remainder} mg more was drawn than given: record its waste (reason and witness).",
            code="waste_required",
            errors={"waste_reason": ["Why the rest was wasted."]},
        )
    # The draw entry is the dose exactly; what more was drawn leaves the container as its waste.
    entry = write_entry(
        container=container,
        kind=K.DRAW,
        change_mg=-given,
        devices=devices,
        volume_ml=dose.volume_ml,
        occurred_at=started_at,
        by=by,
        dose=dose,
        patient_id=dose.patient_id,
    )
    if remainder:
        _waste(
            container=container,
            by=by,
            quantity_mg=remainder,
            devices=None,
            reason=waste_reason,
            occurred_at=stopped_at or started_at,
            witness=witness,
            draw=entry,
        )
    return entry


@transaction.atomic
def waste_record(
    *,
    container: Container,
    by: StaffMember,
    reason: str,
    occurred_at: dt.datetime,
    quantity_mg: Decimal | None = None,
    devices: int | None = None,
    witness: Credentials | None = None,
) -> LedgerEntry:
    """Waste from a container (the rest of an opened vial, a dropped device) with a reason.

    With `witness` credentials the witness re-authenticated in this request; without, the waste
    waits for a witness to confirm it from their own session, and an alert goes to the registrant
    if nobody has after the clinic's configured time.
    """
    require(staff=by, operation="controlled.waste", clinic_id=container.clinic_id)
    container = lock_container(container_id=container.pk)
    quantity_mg, devices = units_to_mg(container=container, quantity_mg=quantity_mg, devices=devices)
    return _waste(
        container=container,
        by=by,
        quantity_mg=quantity_mg,
        devices=devices,
        reason=reason,
        occurred_at=occurred_at,
        witness=witness,
        draw=None,
    )


def _waste(
    *,
    container: Container,
    by: StaffMember,
    quantity_mg: Decimal,
    devices: int | None,
    reason: str,
    occurred_at: dt.datetime,
    witness: Credentials | None,
    draw: LedgerEntry | None,
) -> LedgerEntry:
    if not reason.strip():
        raise RuleViolation("A waste gives its reason.", code="reason_required", errors={"reason": ["Required."]})
    witness_staff = None
    if witness is not None:
        witness_staff = second_person(
            credentials=witness,
            clinic_id=container.clinic_id,
            not_by=by,
            operation="controlled.witness",
            field="witness",
            on=container.clinic.local_date(),
        )
    entry = write_entry(
        container=container,
        kind=K.WASTE,
        change_mg=-quantity_mg,
        devices=devices,
        occurred_at=occurred_at,
        by=by,
        draw=draw,
        reason=reason.strip(),
    )
    if witness_staff is not None:
        Witnessing.objects.create(entry=entry, witness=witness_staff, method=Witnessing.Method.REAUTHENTICATED)
    else:
        minutes = policy_for(container.clinic_id).unwitnessed_waste_alert_minutes
        outbox.alert_staff(
            clinic_id=container.clinic_id,
            staff_id=container.registration.registrant_id,
            kind=outbox.UNWITNESSED_WASTE,
            key=_unwitnessed_key(entry),
            due_at=timezone.now() + dt.timedelta(minutes=minutes),
            payload={"entry_id": entry.pk, "container_id": container.pk},
        )
    return entry


def _unwitnessed_key(entry: LedgerEntry) -> str:
    return f"controlled:waste-unwitnessed:{entry.pk}"


@transaction.atomic
def waste_witness(*, entry: LedgerEntry, witness: StaffMember) -> Witnessing:
    """The witness confirms a pending waste from their own signed-in session (never on someone's word)."""
    entry = LedgerEntry.objects.select_related("container__clinic").get(pk=entry.pk)
    if entry.kind != K.WASTE:
        raise RuleViolation("Only a waste is witnessed.", code="not_a_waste")
    if Witnessing.objects.filter(entry=entry).exists():
        raise Conflict("This waste is already witnessed.", code="already_witnessed")
    if entry.by_id == witness.pk:
        raise RuleViolation(
            "The witness is a second person, not the one who wasted.",
            code="second_person_is_self",
            errors={"witness": ["You recorded this waste."]},
        )
    clinic = entry.container.clinic
    check_second_person(
        staff=witness, clinic_id=clinic.pk, operation="controlled.witness", field="witness", on=clinic.local_date()
    )
    witnessing = Witnessing.objects.create(entry=entry, witness=witness, method=Witnessing.Method.OWN_SESSION)
    outbox.cancel(key=_unwitnessed_key(entry), reason="witnessed", now=timezone.now())
    return witnessing


@transaction.atomic
def entry_correct(
    *,
    entry: LedgerEntry,
    by: StaffMember,
    change_mg: Decimal,
    reason: str,
    devices: int | None = None,
    occurred_at: dt.datetime | None = None,
) -> LedgerEntry:
    """A correcting entry that references the one it corrects (which never changes)."""
    container = lock_container(container_id=entry.container_id)
    require(staff=by, operation="controlled.correct", clinic_id=container.clinic_id)
    if entry.kind == K.CORRECTION:
        raise RuleViolation("Correct the original entry, not a correction.", code="correct_the_original")
    if LedgerEntry.objects.filter(corrects=entry, kind=K.CORRECTION).exists():
        raise Conflict("This entry is already corrected.", code="already_corrected")
    if not reason.strip():
        raise RuleViolation("A correction gives its reason.", code="reason_required", errors={"reason": ["Required."]})
    return write_entry(
        container=container,
        kind=K.CORRECTION,
        change_mg=change_mg,
        devices=devices,
        occurred_at=occurred_at or timezone.now(),
        by=by,
        corrects=entry,
        patient_id=entry.patient_id,
        reason=reason.strip(),
    )


def draw_correct_entered_in_error(*, draw: LedgerEntry, by: StaffMember, reason: str) -> LedgerEntry:
    """A dose charted in error: its draw is reversed by a correcting entry (stock back in the container)."""
    if draw.kind != K.DRAW:
        raise RuleViolation("Only a draw is reversed this way.", code="not_a_draw")
    return entry_correct(entry=draw, by=by, change_mg=-draw.change_mg, devices=draw.devices, reason=reason)
