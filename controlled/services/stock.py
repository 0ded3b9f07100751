"""Stock in and out of the clinic: receipts, transfers and distributions, returns, losses, adjustments."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from controlled import outbox
from controlled.models import Container, Discrepancy, LedgerEntry, LossReport, LossReportSignoff, Product, Registration
from controlled.services.common import (
    Credentials,
    lock_container,
    require,
    require_registrant,
    second_person,
    units_to_mg,
    write_entry,
)
from kat_clinic.errors import Conflict, RuleViolation
from kat_clinic.models import Clinic, StaffMember

K = LedgerEntry.Kind
FORM_106_DAYS = 45
FORM_106_REMIND_DAYS_BEFORE = 7


def _check_registration(registration: Registration, clinic: Clinic, on: dt.date, field: str = "registration") -> None:
    if registration.clinic_id != clinic.pk or not registration.active:
        raise RuleViolation(
            "The registration is not an active registration of this clinic.",
            code="registration_elsewhere",
            errors={field: ["Not an active DEA registration of this clinic."]},
        )
    if registration.expires_on < on:
        raise RuleViolation(
            f"DEA registration {registration.number} expired on {registration.expires_on}.",
            code="registration_expired",
            errors={field: ["Expired."]},
        )


@transaction.atomic
def container_receive(
    *,
    clinic: Clinic,
    registration: Registration,
    product: Product,
    kind: str,
    lot_number: str,
    expires_on: dt.date,
    received_at: dt.datetime,
    by: StaffMember,
    checked_by: Credentials | None,
    supplier: str,
    invoice: str = "",
    quantity_mg: Decimal | None = None,
    devices: int | None = None,
    initial_ml: Decimal | None = None,
) -> Container:
    """Receive one container: the container and its receipt entry, checked in by a second person
    who re-authenticates in the request."""
    require(staff=by, operation="controlled.receive", clinic_id=clinic.pk)
    today = clinic.local_date()
    _check_registration(registration, clinic, today)
    if expires_on < clinic.local_date(received_at):
        raise RuleViolation("The lot is already expired.", code="container_expired", errors={"expires_on": ["Past."]})
    if not supplier.strip():
        raise RuleViolation("Name the supplier.", code="supplier_required", errors={"supplier": ["Required."]})
    checker = second_person(
        credentials=checked_by,
        clinic_id=clinic.pk,
        not_by=by,
        operation="controlled.receive",
        field="checked_by",
        on=today,
    )
    if product.unit_mg is not None:
        if not devices or devices < 1:
            raise RuleViolation("Give the number of devices.", code="whole_devices", errors={"devices": ["Required."]})
        quantity_mg = product.unit_mg * devices
    elif quantity_mg is None or quantity_mg <= 0 or devices:
        raise RuleViolation("Give a positive quantity in mg.", code="invalid_quantity", errors={"quantity_mg": ["> 0"]})
    if initial_ml is None and product.concentration_mg_per_ml:
        initial_ml = (quantity_mg / product.concentration_mg_per_ml).quantize(Decimal("0.01"))
    container = Container.objects.create(
        product=product,
        kind=kind,
        clinic=clinic,
        registration=registration,
        lot_number=lot_number,
        expires_on=expires_on,
        initial_mg=quantity_mg,
        initial_ml=initial_ml,
    )
    write_entry(
        container=container,
        kind=K.RECEIPT,
        change_mg=quantity_mg,
        devices=devices,
        volume_ml=initial_ml,
        occurred_at=received_at,
        by=by,
        checked_by=checker,
        counterparty=supplier.strip(),
        reference=invoice.strip(),
    )
    return container


@transaction.atomic
def container_transfer(
    *,
    container: Container,
    to_clinic: Clinic,
    to_registration: Registration,
    by: StaffMember,
    occurred_at: dt.datetime,
    quantity_mg: Decimal | None = None,
    devices: int | None = None,
    reference: str = "",
) -> LedgerEntry:
    """Move stock to another clinic of the organisation: a transfer-out entry here and a paired
    transfer-in on a new container there. Between two DEA registrations it is a distribution,
    recorded with both registrations on both entries. Returns the transfer-in entry."""
    container = lock_container(container_id=container.pk)
    require(staff=by, operation="controlled.transfer", clinic_id=container.clinic_id)
    if to_clinic.organization_id != container.clinic.organization_id or to_clinic.pk == container.clinic_id:
        raise RuleViolation(
            "Transfers go to another clinic of the organisation.",
            code="invalid_destination",
            errors={"to_clinic": ["Another clinic of this organisation."]},
        )
    _check_registration(to_registration, to_clinic, to_clinic.local_date(), field="to_registration")
    quantity_mg, devices = units_to_mg(container=container, quantity_mg=quantity_mg, devices=devices)
    distribution = to_registration.pk != container.registration_id
    out = write_entry(
        container=container,
        kind=K.TRANSFER_OUT,
        change_mg=-quantity_mg,
        devices=devices,
        occurred_at=occurred_at,
        by=by,
        counterparty=to_clinic.name,
        other_registration=to_registration,
        distribution=distribution,
        reference=reference,
    )
    arriving = Container.objects.create(
        product=container.product,
        kind=container.kind,
        clinic=to_clinic,
        registration=to_registration,
        lot_number=container.lot_number,
        expires_on=container.expires_on,
        initial_mg=quantity_mg,
        label=f"from #{container.pk}",
    )
    return write_entry(
        container=arriving,
        kind=K.TRANSFER_IN,
        change_mg=quantity_mg,
        devices=devices,
        occurred_at=occurred_at,
        by=by,
        pair=out,
        counterparty=container.clinic.name,
        other_registration=container.registration,
        distribution=distribution,
        reference=reference,
    )


@transaction.atomic
def container_return(
    *,
    container: Container,
    by: StaffMember,
    counterparty: str,
    occurred_at: dt.datetime,
    quantity_mg: Decimal | None = None,
    devices: int | None = None,
    reference: str = "",
) -> LedgerEntry:
    """Return stock to the supplier or a reverse distributor (expired or unwanted)."""
    container = lock_container(container_id=container.pk)
    require(staff=by, operation="controlled.transfer", clinic_id=container.clinic_id)
    if not counterparty.strip():
        raise RuleViolation(
            "Name who receives it.", code="counterparty_required", errors={"counterparty": ["Required."]}
        )
    quantity_mg, devices = units_to_mg(container=container, quantity_mg=quantity_mg, devices=devices)
    return write_entry(
        container=container,
        kind=K.RETURN,
        change_mg=-quantity_mg,
        devices=devices,
        occurred_at=occurred_at,
        by=by,
        counterparty=counterparty.strip(),
        reference=reference,
    )


@transaction.atomic
def count_adjust(
    *,
    container: Container,
    by: StaffMember,
    change_mg: Decimal,
    reason: str,
    devices: int | None = None,
    discrepancy: Discrepancy | None = None,
) -> LedgerEntry:
    """Adjust a container's balance to what a count found: the registrant's own sign-off, with a reason."""
    container = lock_container(container_id=container.pk)
    require_registrant(staff=by, registration=container.registration)
    if not reason.strip():
        raise RuleViolation("An adjustment gives its reason.", code="reason_required", errors={"reason": ["Required."]})
    if not change_mg:
        raise RuleViolation(
            "An adjustment changes the balance.", code="invalid_quantity", errors={"change_mg": ["≠ 0"]}
        )
    if discrepancy is not None and discrepancy.container_id != container.pk:
        raise RuleViolation("The discrepancy is of another container.", code="invalid_discrepancy")
    return write_entry(
        container=container,
        kind=K.ADJUSTMENT,
        change_mg=change_mg,
        devices=devices,
        occurred_at=timezone.now(),
        by=by,
        signed_off_by=by,
        discrepancy=discrepancy,
        reason=reason.strip(),
    )


def next_business_day_end(clinic: Clinic, at: dt.datetime) -> dt.datetime:
    """17:00 local on the next weekday after `at` (public holidays are not known here)."""
    day = clinic.local_date(at) + dt.timedelta(days=1)
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return dt.datetime.combine(day, dt.time(17, 0), tzinfo=clinic.tz)


@transaction.atomic
def loss_report(
    *,
    container: Container,
    by: StaffMember,
    kind: str,
    discovered_at: dt.datetime,
    description: str,
    quantity_mg: Decimal | None = None,
    devices: int | None = None,
    police_report: str = "",
) -> LossReport:
    """Report a loss or theft: its entry, an alert to the registrant at once, and follow-ups for the
    written notice (one business day) and DEA Form 106 (45 days)."""
    container = lock_container(container_id=container.pk)
    require(staff=by, operation="controlled.loss", clinic_id=container.clinic_id)
    if not description.strip():
        raise RuleViolation("Say what is known.", code="reason_required", errors={"description": ["Required."]})
    quantity_mg, devices = units_to_mg(container=container, quantity_mg=quantity_mg, devices=devices)
    entry = write_entry(
        container=container,
        kind=K.LOSS,
        change_mg=-quantity_mg,
        devices=devices,
        occurred_at=discovered_at,
        by=by,
        reason=description.strip(),
    )
    clinic = container.clinic
    notice_due = next_business_day_end(clinic, discovered_at)
    form_due = clinic.local_date(discovered_at) + dt.timedelta(days=FORM_106_DAYS)
    report = LossReport.objects.create(
        entry=entry,
        kind=kind,
        discovered_at=discovered_at,
        description=description.strip(),
        police_report=police_report,
        reported_by=by,
        notice_due_at=notice_due,
        form_106_due_on=form_due,
    )
    now = timezone.now()
    registrant = container.registration.registrant_id
    common = {"clinic_id": clinic.pk, "staff_id": registrant, "payload": {"loss_report_id": report.pk}}
    outbox.alert_staff(kind=outbox.LOSS_ALERT, key=f"controlled:loss:{report.pk}", due_at=now, **common)
    outbox.alert_staff(
        kind=outbox.LOSS_NOTICE_DUE,
        key=f"controlled:loss-notice:{report.pk}",
        due_at=max(now, notice_due - dt.timedelta(hours=4)),
        **common,
    )
    remind_on = form_due - dt.timedelta(days=FORM_106_REMIND_DAYS_BEFORE)
    outbox.alert_staff(
        kind=outbox.FORM_106_DUE,
        key=f"controlled:form-106:{report.pk}",
        due_at=max(now, dt.datetime.combine(remind_on, dt.time(9, 0), tzinfo=clinic.tz)),
        **common,
    )
    return report


@transaction.atomic
def loss_report_sign_off(*, report: LossReport, by: StaffMember, note: str = "") -> LossReportSignoff:
    report = LossReport.objects.select_related("entry__container__registration").get(pk=report.pk)
    require_registrant(staff=by, registration=report.entry.container.registration)
    if LossReportSignoff.objects.filter(report=report).exists():
        raise Conflict("This report is already signed off.", code="already_signed_off")
    return LossReportSignoff.objects.create(report=report, registrant=by, note=note.strip())
