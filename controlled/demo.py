"""The ledger's part of the demo clinic (`make demo`), written through the ledger's own services.

A DEA registration held by the demo prescriber; a received lot (two 500 mg vials of ketamine
50 mg/mL and a pack of three esketamine devices, checked in by a second nurse); every charted dose
of the demo's history drawn from a vial in the same transaction as the dose; the rest of the first
vial wasted at its beyond-use date with a witness who re-authenticated; and one daily count, so the
dispensing log balances to zero discrepancy. `kat_clinic/demo_history.py` calls these in the order
things happened, with the services' clock set to each moment.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from controlled.models import Container, Count, Product, Registration
from controlled.services.common import Credentials
from controlled.services.counts import CountedLine, count_record, count_sheet
from controlled.services.draws import dose_draw, waste_record
from controlled.services.stock import container_receive
from kat_clinic.models import Clinic, StaffMember
from sessions.models import Session

REGISTRATION_NUMBER = "BS1234563"  # B (practitioner), S (Shah), check digit 3
LOT = "DEMO-LOT-7"
ESKETAMINE_LOT = "DEMO-ESK-3"
SUPPLIER = "Henry Schein (demo)"


def _products() -> tuple[Product, Product]:
    ketamine, _ = Product.objects.get_or_create(
        ndc="0143-9508-10",
        defaults={
            "name": "Ketamine HCl",
            "medication": "ketamine",
            "form": Product.Form.INJECTION,
            "strength": "50 mg/mL",
            "concentration_mg_per_ml": Decimal("50.00"),
        },
    )
    esketamine, _ = Product.objects.get_or_create(
        ndc="50458-028-02",
        defaults={
            "name": "Esketamine (Spravato)",
            "medication": "esketamine",
            "form": Product.Form.NASAL_SPRAY,
            "strength": "28 mg per device",
            "unit_mg": Decimal("28.00"),
        },
    )
    return ketamine, esketamine


def stock_up(*, clinic: Clinic, by: StaffMember, checker: StaffMember, password: str) -> Registration:
    """The registration and the received lot, at the services' clock. Idempotent: a clinic that
    already holds the demo registration is left as it is."""
    registration = Registration.objects.filter(number=REGISTRATION_NUMBER).first()
    if registration is not None:
        return registration
    prescriber = StaffMember.objects.get(user__username="prescriber")
    registration = Registration.objects.create(
        clinic=clinic,
        number=REGISTRATION_NUMBER,
        name=f"{prescriber.first_name} {prescriber.last_name}, {prescriber.credentials_suffix}",
        registrant=prescriber,
        expires_on=dt.date(2028, 6, 30),
    )
    ketamine, esketamine = _products()
    now = timezone.now()
    checked_by = Credentials(username=checker.user.username, password=password)
    common = {"clinic": clinic, "registration": registration, "received_at": now, "by": by, "checked_by": checked_by}
    expires_on = clinic.local_date(now) + dt.timedelta(days=540)
    for invoice in ("INV-DEMO-101", "INV-DEMO-101"):
        container_receive(
            product=ketamine,
            kind=Container.Kind.VIAL,
            lot_number=LOT,
            expires_on=expires_on,
            supplier=SUPPLIER,
            invoice=invoice,
            quantity_mg=Decimal("500.00"),
            **common,
        )
    container_receive(
        product=esketamine,
        kind=Container.Kind.DEVICE_PACK,
        lot_number=ESKETAMINE_LOT,
        expires_on=expires_on,
        supplier=SUPPLIER,
        invoice="INV-DEMO-102",
        devices=3,
        **common,
    )
    return registration


def _open_vial(clinic: Clinic) -> Container | None:
    """The vial in use: the first ketamine container of the clinic that still holds stock."""
    return (
        Container.objects.filter(clinic=clinic, product__medication="ketamine", balance__on_hand_mg__gt=0)
        .order_by("pk")
        .first()
    )


def dose_from_stock(
    *,
    session: Session,
    by: StaffMember,
    ordered_by: StaffMember,
    route: str,
    started_at: dt.datetime,
    dose_mg_per_kg: Decimal,
):
    """Chart a ketamine dose drawn from the vial in use: the dose and its draw entry together."""
    container = _open_vial(session.clinic)
    entry = dose_draw(
        container=container,
        session=session,
        by=by,
        ordered_by=ordered_by,
        route=route,
        started_at=started_at,
        dose_mg_per_kg=dose_mg_per_kg,
    )
    return entry.dose


def waste_rest_of_vial(*, clinic: Clinic, by: StaffMember, witness: StaffMember, password: str) -> None:
    """The vial in use reached its beyond-use date: the rest is wasted, witnessed by a second nurse
    who re-authenticates."""
    container = _open_vial(clinic)
    if container is None:
        return
    waste_record(
        container=container,
        by=by,
        quantity_mg=container.balance.on_hand_mg,
        reason="Multi-dose vial at its beyond-use date (28 days after opening): the rest discarded.",
        occurred_at=timezone.now(),
        witness=Credentials(username=witness.user.username, password=password),
    )


def count_cabinet(*, clinic: Clinic, by: StaffMember) -> None:
    """One daily count of the cabinet, which finds what the ledger holds. Idempotent."""
    if Count.objects.filter(clinic=clinic).exists():
        return
    lines = []
    for container in count_sheet(clinic_id=clinic.pk).select_related("balance"):
        unit = container.product.unit_mg
        on_hand = container.balance.on_hand_mg
        if unit is not None:
            lines.append(CountedLine(container_id=container.pk, counted_devices=int(on_hand / unit)))
        else:
            lines.append(CountedLine(container_id=container.pk, counted_mg=on_hand))
    count_record(clinic=clinic, kind=Count.Kind.DAILY, by=by, counted_at=timezone.now(), lines=lines)
