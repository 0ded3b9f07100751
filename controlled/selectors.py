"""Ledger reads with their joins; the reports (dispensing log, reconciliation, inventory)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Exists, OuterRef, Prefetch, QuerySet, Sum

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


INVENTORY_COLUMNS = [
    "count_id",
    "count_kind",
    "counted_at",
    "counted_by",
    "registration",
    "container_id",
    "drug_name",
    "strength",
    "dosage_form",
    "ndc",
    "schedule",
    "lot_number",
    "expires_on",
    "container_kind",
    "initial_mg",
    "opened",
    "counted_mg",
    "counted_devices",
    "expected_mg",
    "difference_mg",
]


def inventory_lines(*, count: Count) -> QuerySet[CountLine]:
    return (
        CountLine.objects.filter(count=count)
        .select_related("container__product", "container__registration")
        .annotate(
            opened=Exists(
                LedgerEntry.objects.filter(container=OuterRef("container"), recorded_at__lte=count.recorded_at).exclude(
                    kind__in=(LedgerEntry.Kind.RECEIPT, LedgerEntry.Kind.TRANSFER_IN)
                )
            )
        )
        .order_by("container__product__name", "container__lot_number", "container_id")
    )


def inventory_rows(*, count: Count, lines) -> Iterator[list[str]]:
    """The inventory as a dated snapshot: one row per container counted, with what 21 CFR 1304.11
    asks (drug, strength, form, containers and their contents, opened or not, date and time)."""
    tz = count.clinic.tz
    at = count.counted_at.astimezone(tz).isoformat(timespec="minutes")
    for line in lines:
        container, product = line.container, line.container.product
        yield [
            str(count.pk),
            count.kind,
            at,
            _name(count.counted_by),
            container.registration.number,
            str(container.pk),
            product.name,
            product.strength,
            product.get_form_display(),
            product.ndc,
            product.schedule,
            container.lot_number,
            container.expires_on.isoformat(),
            container.get_kind_display(),
            str(container.initial_mg),
            "yes" if line.opened else "no",
            str(line.counted_mg),
            "" if line.counted_devices is None else str(line.counted_devices),
            str(line.expected_mg),
            str(line.counted_mg - line.expected_mg),
        ]


# 21 CFR 1307.11(a)(1)(iv): a practitioner may distribute to another practitioner without a
# distributor's registration while what it distributes in a calendar year stays within 5 % of
# all it dispenses and distributes in that year.
DISTRIBUTION_LIMIT_PERCENT = Decimal("5")


@dataclass
class DistributionSummary:
    registration: int
    year: int
    distributed_mg: Decimal
    dispensed_mg: Decimal
    share_percent: Decimal
    limit_percent: Decimal
    within_limit: bool
    note: str


def distribution_summary(*, registration: Registration, year: int) -> DistributionSummary:
    """What the registration distributed to other registrations in the calendar year against what it
    dispensed (administered, net of reversed draws), in mg."""
    since, until = _period(registration.clinic, dt.date(year, 1, 1), dt.date(year, 12, 31))
    entries = LedgerEntry.objects.filter(
        container__registration=registration, occurred_at__gte=since, occurred_at__lt=until
    )
    zero = Decimal("0.00")
    distributed = -(
        entries.filter(kind=LedgerEntry.Kind.TRANSFER_OUT, distribution=True).aggregate(t=Sum("change_mg"))["t"] or zero
    )
    drawn = -(entries.filter(kind=LedgerEntry.Kind.DRAW).aggregate(t=Sum("change_mg"))["t"] or zero)
    reversed_ = (
        entries.filter(kind=LedgerEntry.Kind.CORRECTION, corrects__kind=LedgerEntry.Kind.DRAW).aggregate(
            t=Sum("change_mg")
        )["t"]
        or zero
    )
    dispensed = drawn - reversed_
    total = dispensed + distributed
    share = (distributed * 100 / total).quantize(Decimal("0.01")) if total else zero
    within = share <= DISTRIBUTION_LIMIT_PERCENT
    note = (
        f"Distributions to other registrations in {year}: {distributed} mg, {share} % of the {total} mg "
        f"dispensed and distributed; a practitioner may distribute up to {DISTRIBUTION_LIMIT_PERCENT} % "
        "without a distributor's registration (21 CFR 1307.11(a)(1)(iv))."
    )
    if not within:
        note += " Above the limit: the registrant needs a distributor's registration for further distributions."
    return DistributionSummary(
        registration=registration.pk,
        year=year,
        distributed_mg=distributed,
        dispensed_mg=dispensed,
        share_percent=share,
        limit_percent=DISTRIBUTION_LIMIT_PERCENT,
        within_limit=within,
        note=note,
    )


def policy_list() -> QuerySet[Clinic]:
    """Clinics with their ledger policy and whether they keep a ledger (an active registration)."""
    return (
        Clinic.objects.select_related("controlled_policy")
        .annotate(keeps_ledger=Exists(Registration.objects.filter(clinic=OuterRef("pk"), active=True)))
        .order_by("pk")
    )
