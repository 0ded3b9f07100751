"""The ledger's part of the API-wide world (tests/security/world.py).

Per clinic: a DEA registration held by the clinic's prescriber, a received 500 mg vial, a
discrepancy and a loss report (written directly, so no alert rows of the ledger's kinds reach the
follow-up queue's documented enum). The world clinic's ledger policy is switched off so that the
chart's own dose endpoint keeps being fuzzed with ketamine; the policy is tested in tests/controlled.
Second persons (checker, witness) re-authenticate with the world staff's password: for a nurse, the
prescriber; for anyone else, the nurse.
"""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

from django.utils import timezone

from controlled.models import (
    Container,
    ControlledPolicy,
    Count,
    CountLine,
    Discrepancy,
    LedgerEntry,
    LossReport,
    Registration,
)
from controlled.services.counts import count_sheet
from controlled.services.draws import waste_record
from kat_clinic.models import Clinic, StaffMember
from kat_clinic.roles import Role
from tests.controlled.factories import PASSWORD, KetamineVialFactory, receive
from tests.monitoring.api_world import _ready_session
from tests.security.world import ApiWorld, World

_numbers = itertools.count(1)
P = "/api/v1/controlled"


def _member(clinic: Clinic, role: str) -> StaffMember:
    return StaffMember.objects.filter(memberships__clinic=clinic, memberships__role=role).order_by("pk").first()


def _other(world: World, role: str) -> StaffMember:
    return world.staff[Role.PRESCRIBER] if role == Role.NURSE else world.staff[Role.NURSE]


def _vial(clinic: Clinic, quantity: str = "500.00") -> Container:
    registration = Registration.objects.get(clinic=clinic)
    nurse, prescriber = _member(clinic, Role.NURSE), _member(clinic, Role.PRESCRIBER)
    return receive(registration=registration, by=nurse, checker=prescriber, quantity_mg=Decimal(quantity))


def _discrepancy(container: Container, by: StaffMember) -> Discrepancy:
    count = Count.objects.create(
        clinic=container.clinic, kind=Count.Kind.SHIFT, counted_by=by, counted_at=timezone.now()
    )
    line = CountLine.objects.create(
        count=count, container=container, counted_mg=Decimal("490.00"), expected_mg=Decimal("500.00")
    )
    return Discrepancy.objects.create(
        line=line, container=container, registration=container.registration, difference_mg=Decimal("-10.00")
    )


def _loss_report(container: Container, by: StaffMember) -> LossReport:
    entry = LedgerEntry.objects.create(
        container=container, kind="loss", change_mg=Decimal("-5.00"), occurred_at=timezone.now(), by=by, reason="Spill"
    )
    return LossReport.objects.create(
        entry=entry,
        kind=LossReport.Kind.LOSS,
        discovered_at=timezone.now(),
        description="Vial cracked in the cabinet",
        reported_by=by,
        notice_due_at=timezone.now() + dt.timedelta(days=1),
        form_106_due_on=timezone.localdate() + dt.timedelta(days=45),
    )


def _seed(world: World, clinic: Clinic, ids: dict[str, int]) -> None:
    nurse, prescriber = _member(clinic, Role.NURSE), _member(clinic, Role.PRESCRIBER)
    registration = Registration.objects.create(
        clinic=clinic,
        number=f"FW{next(_numbers):07d}",
        name=str(prescriber),
        registrant=prescriber,
        expires_on=dt.date(2035, 12, 31),
    )
    if clinic == world.clinic:
        ControlledPolicy.objects.create(clinic=clinic, require_container=False)
    vial = _vial(clinic)
    ids.update(
        policies=clinic.pk,
        counts=_discrepancy(vial, nurse).line.count_id,
        registrations=registration.pk,
        products=vial.product_id,
        containers=vial.pk,
        entries=LedgerEntry.objects.get(container=vial).pk,
        discrepancies=_discrepancy(vial, nurse).pk,
        **{"loss-reports": _loss_report(vial, nurse).pk},
    )


def _fresh_vial(world: World, role: str) -> dict:
    return {"id": _vial(world.clinic).pk}


def _fresh_receipt(world: World, role: str) -> dict:
    return {"id": LedgerEntry.objects.get(container=_vial(world.clinic)).pk}


def _pending_waste(world: World, role: str) -> dict:
    vial = _vial(world.clinic)
    entry = waste_record(
        container=vial, by=_other(world, role), quantity_mg=Decimal("5"), reason="Rest", occurred_at=timezone.now()
    )
    return {"id": entry.pk}


def _fresh_discrepancy(world: World, role: str) -> dict:
    return {"id": _discrepancy(_vial(world.clinic), world.staff[Role.NURSE]).pk}


def _fresh_loss_report(world: World, role: str) -> dict:
    return {"id": _loss_report(_vial(world.clinic), world.staff[Role.NURSE]).pk}


def _second_person(world: World, role: str) -> dict:
    return {"username": _other(world, role).user.username, "password": PASSWORD}


def _now() -> str:
    return timezone.now().isoformat()


def _receive_body(world: World, role: str) -> dict:
    return {
        "clinic": world.clinic.pk,
        "registration": world.ids["registrations"],
        "product": KetamineVialFactory().pk,
        "kind": "vial",
        "lot_number": "KET-7",
        "expires_on": (timezone.localdate() + dt.timedelta(days=365)).isoformat(),
        "received_at": _now(),
        "supplier": "Henry Schein",
        "invoice": "INV-7",
        "quantity_mg": "500.00",
        "checked_by": _second_person(world, role),
    }


def _waste_body(world: World, role: str) -> dict:
    return {
        "quantity_mg": "10.00",
        "reason": "End of day",
        "occurred_at": _now(),
        "witness": _second_person(world, role),
    }


def _transfer_body(world: World, role: str) -> dict:
    return {
        "to_clinic": world.other_clinic.pk,
        "to_registration": world.other_ids["registrations"],
        "quantity_mg": "100.00",
        "occurred_at": _now(),
        "reference": "222-1",
    }


def _return_body(world: World, role: str) -> dict:
    return {"counterparty": "Reverse distributor", "quantity_mg": "100.00", "occurred_at": _now()}


def _adjust_body(world: World, role: str) -> dict:
    return {"change_mg": "-1.00", "reason": "Overfill lost in priming"}


def _loss_body(world: World, role: str) -> dict:
    return {"kind": "loss", "discovered_at": _now(), "description": "Dropped", "quantity_mg": "10.00"}


def _correct_body(world: World, role: str) -> dict:
    return {"change_mg": "-1.00", "reason": "Received 499 mg, not 500"}


def _draw_body(world: World, role: str) -> dict:
    return {
        "container": _vial(world.clinic).pk,
        "session": _ready_session(world).pk,
        "ordered_by": world.staff[Role.PRESCRIBER].pk,
        "route": "iv",
        "kind": "initial",
        "dose_mg_per_kg": "0.500",
        "infusion_minutes": 40,
        "started_at": _now(),
    }


def _count_body(world: World, role: str) -> dict:
    lines = [
        {"container": c.pk, "counted_mg": str(c.balance.on_hand_mg)}
        for c in count_sheet(clinic_id=world.clinic.pk).select_related("balance")
    ]
    return {"clinic": world.clinic.pk, "kind": "shift", "counted_at": _now(), "lines": lines}


def _resolve_body(world: World, role: str) -> dict:
    return {"resolution": "Recounted: the syringe was misread"}


def _sign_off_body(world: World, role: str) -> dict:
    return {"note": "Notice sent"}


API_WORLD = ApiWorld(
    seed=_seed,
    field_resources={
        "container": "containers",
        "registration": "registrations",
        "product": "products",
        "dose": "doses",
        "count": "counts",
    },
    fresh_paths={
        ("POST", f"{P}/containers/{{id}}/waste/"): _fresh_vial,
        ("POST", f"{P}/containers/{{id}}/transfer/"): _fresh_vial,
        ("POST", f"{P}/containers/{{id}}/return/"): _fresh_vial,
        ("POST", f"{P}/containers/{{id}}/adjust/"): _fresh_vial,
        ("POST", f"{P}/containers/{{id}}/loss/"): _fresh_vial,
        ("POST", f"{P}/entries/{{id}}/correct/"): _fresh_receipt,
        ("POST", f"{P}/entries/{{id}}/witness/"): _pending_waste,
        ("POST", f"{P}/discrepancies/{{id}}/resolve/"): _fresh_discrepancy,
        ("POST", f"{P}/loss-reports/{{id}}/sign-off/"): _fresh_loss_report,
    },
    body_bases={
        ("POST", f"{P}/containers/"): _receive_body,
        ("POST", f"{P}/containers/{{id}}/waste/"): _waste_body,
        ("POST", f"{P}/containers/{{id}}/transfer/"): _transfer_body,
        ("POST", f"{P}/containers/{{id}}/return/"): _return_body,
        ("POST", f"{P}/containers/{{id}}/adjust/"): _adjust_body,
        ("POST", f"{P}/containers/{{id}}/loss/"): _loss_body,
        ("POST", f"{P}/entries/{{id}}/correct/"): _correct_body,
        ("POST", f"{P}/draws/"): _draw_body,
        ("POST", f"{P}/counts/"): _count_body,
        ("POST", f"{P}/discrepancies/{{id}}/resolve/"): _resolve_body,
        ("POST", f"{P}/loss-reports/{{id}}/sign-off/"): _sign_off_body,
    },
    ratio_exempt={
        ("GET", f"{P}/reports/dispensing-log/"): "generated start and end dates are as often out of order (400)",
        ("GET", f"{P}/reports/reconciliation/"): "generated start and end dates are as often out of order (400)",
    },
)
