"""Charting's correction path reaches the ledger: a controlled dose marked entered in error."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from django.utils import timezone

from controlled.models import ContainerBalance, LedgerEntry
from controlled.services.draws import dose_draw
from monitoring.services.corrections import chart_entry_mark_in_error

pytestmark = pytest.mark.django_db


def test_marking_a_drawn_dose_entered_in_error_puts_its_stock_back_by_a_correcting_entry(
    vial, ready_session, nurse, prescriber
):
    # given: 40 mg drawn from the 500 mg vial for a charted dose
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

    # when: the prescriber marks the dose entered in error in the chart
    chart_entry_mark_in_error(
        entry=draw.dose, by=prescriber, reason="Charted on the wrong patient", operation="dose.administer"
    )

    # then: the draw is untouched and a correction naming it returns the 40 mg
    draw.refresh_from_db()
    assert (draw.change_mg, draw.balance_after_mg) == (D("-40.00"), D("460.00"))
    correction = LedgerEntry.objects.get(corrects=draw)
    assert (correction.kind, correction.change_mg, correction.balance_after_mg, correction.by) == (
        "correction",
        D("40.00"),
        D("500.00"),
        prescriber,
    )
    assert correction.reason == "Charted on the wrong patient"
    assert ContainerBalance.objects.get(container=vial).on_hand_mg == D("500.00")
