"""Blind counts of a storage location, the biennial inventory, and discrepancies until resolved."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from controlled import outbox
from controlled.models import Container, ContainerBalance, Count, CountLine, Discrepancy
from controlled.services.common import require, require_registrant
from kat_clinic.errors import Conflict, RuleViolation
from kat_clinic.models import Clinic, StaffMember


@dataclass(frozen=True)
class CountedLine:
    container_id: int
    counted_mg: Decimal | None = None
    counted_devices: int | None = None


def count_sheet(*, clinic_id: int):
    """The containers a count of the clinic covers: every one holding stock. No figures."""
    return (
        Container.objects.filter(clinic_id=clinic_id, balance__on_hand_mg__gt=0)
        .select_related("product", "registration")
        .order_by("product__name", "lot_number", "pk")
    )


@transaction.atomic
def count_record(
    *, clinic: Clinic, kind: str, by: StaffMember, counted_at: dt.datetime, lines: list[CountedLine]
) -> Count:
    """Record what the counter saw. The expected figure of each container is read here, under the
    balances' locks, and stored on the line; every line that differs opens a discrepancy with an
    alert to the registrant. The count must cover the whole sheet."""
    require(staff=by, operation="controlled.count", clinic_id=clinic.pk)
    sheet = {c.pk: c for c in count_sheet(clinic_id=clinic.pk)}
    given = {line.container_id: line for line in lines}
    if len(given) != len(lines):
        raise RuleViolation("Each container is counted once.", code="count_duplicate", errors={"lines": ["Repeated."]})
    containers = {c.pk: c for c in Container.objects.filter(pk__in=given, clinic=clinic).select_related("product")}
    unknown = sorted(set(given) - set(containers))
    missing = sorted(set(sheet) - set(given))
    if unknown or missing:
        raise RuleViolation(
            "The count covers every container on the sheet, and only containers of this clinic.",
            code="count_incomplete",
            errors={"lines": [f"missing containers {missing}" if missing else f"unknown containers {unknown}"]},
            missing=missing,
            unknown=unknown,
        )
    # Ordered locks, so two counts and the draws they race cannot deadlock.
    balances = {
        b.container_id: b.on_hand_mg
        for b in ContainerBalance.objects.select_for_update().filter(container_id__in=given).order_by("container_id")
    }
    count = Count.objects.create(clinic=clinic, kind=kind, counted_by=by, counted_at=counted_at)
    now = timezone.now()
    for container_id in sorted(given):
        line, container = given[container_id], containers[container_id]
        counted = _counted_mg(container, line)
        expected = balances[container_id]
        row = CountLine.objects.create(
            count=count,
            container=container,
            counted_mg=counted,
            counted_devices=line.counted_devices,
            expected_mg=expected,
        )
        if counted != expected:
            discrepancy = Discrepancy.objects.create(
                line=row,
                container=container,
                registration_id=container.registration_id,
                difference_mg=counted - expected,
                opened_at=now,
            )
            outbox.alert_staff(
                clinic_id=clinic.pk,
                staff_id=container.registration.registrant_id,
                kind=outbox.DISCREPANCY,
                key=f"controlled:discrepancy:{discrepancy.pk}",
                due_at=now,
                payload={"discrepancy_id": discrepancy.pk, "container_id": container.pk},
            )
    return count


def _counted_mg(container: Container, line: CountedLine) -> Decimal:
    unit = container.product.unit_mg
    field = f"lines[{container.pk}]"
    if unit is not None:
        if line.counted_devices is None or line.counted_devices < 0:
            raise RuleViolation(
                "Count nasal devices as whole devices.", code="whole_devices", errors={field: ["devices"]}
            )
        return unit * line.counted_devices
    if line.counted_mg is None or line.counted_mg < 0 or line.counted_devices is not None:
        raise RuleViolation("Give what you counted, in mg.", code="invalid_quantity", errors={field: ["counted_mg"]})
    return line.counted_mg


@transaction.atomic
def discrepancy_resolve(*, discrepancy: Discrepancy, by: StaffMember, resolution: str) -> Discrepancy:
    """Close a discrepancy with the registrant's reason (an adjustment, a found error, a loss report)."""
    discrepancy = (
        Discrepancy.objects.select_for_update(of=("self",)).select_related("registration").get(pk=discrepancy.pk)
    )
    require_registrant(staff=by, registration=discrepancy.registration)
    if discrepancy.resolved_at is not None:
        raise Conflict("This discrepancy is already resolved.", code="already_resolved")
    if not resolution.strip():
        raise RuleViolation("Say how it was resolved.", code="reason_required", errors={"resolution": ["Required."]})
    discrepancy.resolved_at, discrepancy.resolved_by, discrepancy.resolution = timezone.now(), by, resolution.strip()
    discrepancy.save(update_fields=["resolved_at", "resolved_by", "resolution"])
    return discrepancy
