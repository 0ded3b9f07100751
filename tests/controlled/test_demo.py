"""The ledger's part of the demo: a received lot, every charted dose drawn from a vial, a witnessed
waste and one count, so the dispensing log balances to zero discrepancy."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest

from controlled.models import Container, Count, Discrepancy, LedgerEntry, Registration, Witnessing
from controlled.selectors import dispensing_log_entries, dispensing_log_rows, reconciliation
from kat_clinic.demo import seed_demo
from monitoring.models import DoseAdministration

pytestmark = pytest.mark.django_db


def test_the_demo_ledger_draws_every_charted_dose_and_balances_to_zero_discrepancy():
    # when the demo is seeded twice
    clinic = seed_demo()
    seed_demo()

    # then: one registration, the lot received and checked in by a second nurse
    registration = Registration.objects.get()
    assert (registration.number, registration.registrant.user.username) == ("BS1234563", "prescriber")
    receipts = LedgerEntry.objects.filter(kind="receipt").order_by("pk")
    assert [
        (r.container.lot_number, r.change_mg, r.by.user.username, r.checked_by.user.username) for r in receipts
    ] == [
        ("DEMO-LOT-7", D("500.00"), "nurse1", "nurse2"),
        ("DEMO-LOT-7", D("500.00"), "nurse1", "nurse2"),
        ("DEMO-ESK-3", D("84.00"), "nurse1", "nurse2"),
    ]
    # every charted dose has its draw, of exactly its amount, from a container of the lot
    doses = DoseAdministration.objects.all()
    draws = LedgerEntry.objects.filter(kind="draw")
    assert doses.count() == draws.count() == 12
    assert {(d.dose_id, -d.change_mg) for d in draws} == {(dose.pk, dose.dose_mg) for dose in doses}
    assert set(doses.values_list("lot_number", flat=True)) == {"DEMO-LOT-7"}
    # the first vial's rest wasted with a witness who re-authenticated; the second vial in use
    first, second, pack = Container.objects.order_by("pk")
    (waste,) = LedgerEntry.objects.filter(kind="waste")
    assert (waste.container, waste.balance_after_mg) == (first, D("0.00"))
    witnessing = Witnessing.objects.get(entry=waste)
    assert (witnessing.witness.user.username, witnessing.method) == ("nurse2", "reauthenticated")
    # one count, which found what the ledger holds: no discrepancy
    (count,) = Count.objects.all()
    assert {line.container_id: line.counted_mg - line.expected_mg for line in count.lines.all()} == {
        second.pk: D("0.00"),
        pack.pk: D("0.00"),
    }
    assert not Discrepancy.objects.exists()
    # the dispensing log over the demo's weeks: each container's last running balance is its on-hand
    today = clinic.local_date()
    entries = list(dispensing_log_entries(registration=registration, start=today - dt.timedelta(weeks=10), end=today))
    rows = list(dispensing_log_rows(registration=registration, entries=entries))
    last = {row[6]: D(row[17]) for row in rows}
    assert last == {str(c.pk): c.balance.on_hand_mg for c in (first, second, pack)}
    for container in (first, second, pack):
        assert sum(e.change_mg for e in entries if e.container_id == container.pk) == container.balance.on_hand_mg
    assert {
        r.difference_mg for r in reconciliation(clinic=clinic, start=today - dt.timedelta(weeks=10), end=today)
    } == {
        None,
        D("0.00"),
    }
