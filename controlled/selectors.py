"""Ledger reads with their joins; the reports (dispensing log, reconciliation, inventory)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Prefetch, QuerySet, Sum

from controlled.models import (
    Container,
    Count,
    CountLine,
    Discrepancy,
    LedgerEntry,
    LossReport,
    Product,
    Registration,
)
from kat_clinic.models import Clinic


def product_list() -> QuerySet[Product]:
    return Product.objects.order_by("name", "strength", "pk")


def registration_list() -> QuerySet[Registration]:
    return Registration.objects.order_by("number")


def container_list() -> QuerySet[Container]:
    return Container.objects.select_related("balance", "product").order_by("-pk")


def entry_list() -> QuerySet[LedgerEntry]:
    return LedgerEntry.objects.select_related("container", "witnessing").order_by("-pk")


def count_list() -> QuerySet[Count]:
    return Count.objects.prefetch_related(
        Prefetch("lines", queryset=CountLine.objects.order_by("container_id"))
    ).order_by("-pk")


def discrepancy_list() -> QuerySet[Discrepancy]:
    return Discrepancy.objects.select_related("line", "container").order_by("-pk")


def loss_report_list() -> QuerySet[LossReport]:
    return LossReport.objects.select_related("entry__container", "signoff").order_by("-pk")


def _period(clinic: Clinic, start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """[start 00:00, end+1 00:00) in the clinic's zone."""
    return (
        dt.datetime.combine(start, dt.time(), tzinfo=clinic.tz),
        dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), tzinfo=clinic.tz),
    )


DISPENSING_LOG_COLUMNS = [
    "entry_id",
    "date",
    "time",
    "recorded_at",
    "kind",
    "registration",
    "container_id",
    "lot_number",
    "expires_on",
    "drug_name",
    "strength",
    "dosage_form",
    "ndc",
    "schedule",
    "quantity_mg",
    "devices",
    "volume_ml",
    "balance_after_mg",
    "patient_name",
    "patient_address",
    "administered_by",
    "witnessed_by",
    "checked_by",
    "signed_off_by",
    "counterparty",
    "other_registration",
    "distribution",
    "reference",
    "corrects_entry",
    "reason",
]


def dispensing_log_entries(*, registration: Registration, start: dt.date, end: dt.date) -> QuerySet[LedgerEntry]:
    since, until = _period(registration.clinic, start, end)
    return (
        LedgerEntry.objects.filter(container__registration=registration, occurred_at__gte=since, occurred_at__lt=until)
        .select_related(
            "container__product",
            "patient",
            "by",
            "checked_by",
            "signed_off_by",
            "other_registration",
            "witnessing__witness",
        )
        .order_by("container_id", "id")
    )


def _name(staff) -> str:
    return str(staff) if staff is not None else ""


def dispensing_log_rows(*, registration: Registration, entries) -> Iterator[list[str]]:
    """One row per entry: what 21 CFR 1304.22(c) asks of each record, with the container's running balance."""
    tz = registration.clinic.tz
    for entry in entries:
        container, product = entry.container, entry.container.product
        local = entry.occurred_at.astimezone(tz)
        witnessing = getattr(entry, "witnessing", None)
        patient = entry.patient
        yield [
            str(entry.pk),
            local.date().isoformat(),
            local.strftime("%H:%M"),
            entry.recorded_at.astimezone(tz).isoformat(timespec="seconds"),
            entry.kind,
            registration.number,
            str(container.pk),
            container.lot_number,
            container.expires_on.isoformat(),
            product.name,
            product.strength,
            product.get_form_display(),
            product.ndc,
            product.schedule,
            str(entry.change_mg),
            "" if entry.devices is None else str(entry.devices),
            "" if entry.volume_ml is None else str(entry.volume_ml),
            str(entry.balance_after_mg),
            f"{patient.first_name} {patient.last_name}" if patient else "",
            patient.address if patient else "",
            _name(entry.by),
            _name(witnessing.witness) if witnessing else "",
            _name(entry.checked_by),
            _name(entry.signed_off_by),
            entry.counterparty,
            entry.other_registration.number if entry.other_registration else "",
            "yes" if entry.distribution else "",
            entry.reference,
            str(entry.corrects_id or ""),
            entry.reason,
        ]


@dataclass
class Reconciliation:
    container_id: int
    lot_number: str
    opening_mg: Decimal
    received_mg: Decimal
    administered_mg: Decimal
    wasted_mg: Decimal
    other_mg: Decimal
    expected_mg: Decimal
    counted_mg: Decimal | None
    difference_mg: Decimal | None  # the last count against the ledger at that count


def reconciliation(*, clinic: Clinic, start: dt.date, end: dt.date) -> list[Reconciliation]:
    """Per container of the clinic: opening, received, administered, wasted, other movements and the
    expected closing figure over the period, against the last count in it."""
    since, until = _period(clinic, start, end)
    zero = Decimal("0.00")
    containers = list(Container.objects.filter(clinic=clinic, created_at__lt=until).order_by("pk"))
    sums: dict[tuple[int, str], Decimal] = {}
    for row in (
        LedgerEntry.objects.filter(container__in=containers, occurred_at__gte=since, occurred_at__lt=until)
        .values("container_id", "kind")
        .annotate(total=Sum("change_mg"))
    ):
        sums[(row["container_id"], row["kind"])] = row["total"]
    opening = {
        row["container_id"]: row["total"]
        for row in LedgerEntry.objects.filter(container__in=containers, occurred_at__lt=since)
        .values("container_id")
        .annotate(total=Sum("change_mg"))
    }
    # The last count of the period, against what the ledger held when it was counted.
    counted: dict[int, CountLine] = {}
    for line in CountLine.objects.filter(
        container__in=containers, count__counted_at__gte=since, count__counted_at__lt=until
    ).order_by("count__counted_at", "pk"):
        counted[line.container_id] = line
    result = []
    for container in containers:
        by_kind = {kind: sums.get((container.pk, kind), zero) for kind in LedgerEntry.Kind.values}
        received = by_kind["receipt"] + by_kind["transfer_in"]
        administered = -by_kind["draw"]
        wasted = -by_kind["waste"]
        other = sum((v for k, v in by_kind.items() if k not in ("receipt", "transfer_in", "draw", "waste")), zero)
        start_mg = opening.get(container.pk, zero)
        expected = start_mg + received - administered - wasted + other
        line = counted.get(container.pk)
        result.append(
            Reconciliation(
                container_id=container.pk,
                lot_number=container.lot_number,
                opening_mg=start_mg,
                received_mg=received,
                administered_mg=administered,
                wasted_mg=wasted,
                other_mg=other,
                expected_mg=expected,
                counted_mg=None if line is None else line.counted_mg,
                difference_mg=None if line is None else line.counted_mg - line.expected_mg,
            )
        )
    return result
