"""Concurrent draws from one vial: the database's balance, under its row lock, decides."""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal as D

import pytest
from django.db import connection
from django.utils import timezone

from controlled.models import ContainerBalance, LedgerEntry
from controlled.services.draws import dose_draw
from kat_clinic.errors import RuleViolation
from monitoring.models import DoseAdministration
from tests.controlled.factories import receive
from tests.factories import WeightFactory
from tests.monitoring.factories import AttestationFactory, ConsentFactory, ScreenFactory, SessionFactory, VitalFactory

THREADS = 6


def _ready_sessions(clinic, nurse, prescriber, count):
    sessions = []
    for _ in range(count):
        # every session in progress now (charting refuses times outside a booked block and its margin)
        session = SessionFactory(
            clinic=clinic, patient__home_clinic=clinic, starts_at=timezone.now() - dt.timedelta(minutes=30)
        )
        ConsentFactory(patient=session.patient, witness=nurse, recorded_by=nurse)
        ScreenFactory(patient=session.patient, reviewed_by=prescriber)
        AttestationFactory(session=session, recorded_by=nurse)
        WeightFactory(patient=session.patient, weight_kg=D("80.0"), measured_at=timezone.now() - dt.timedelta(days=2))
        VitalFactory(session=session, entered_by=nurse, measured_at=timezone.now() - dt.timedelta(minutes=10))
        sessions.append(session)
    return sessions


@pytest.mark.django_db(transaction=True)
def test_concurrent_draws_never_take_a_vial_below_zero_and_each_lands_whole_or_not_at_all(
    registration, clinic, nurse, nurse2, prescriber
):
    # given: a vial holding 100 mg; six patients each about to get 40 mg (only two fit)
    vial = receive(registration=registration, by=nurse, checker=nurse2, quantity_mg=D("100.00"))
    sessions = _ready_sessions(clinic, nurse, prescriber, THREADS)
    barrier = threading.Barrier(THREADS)
    outcomes: list[str] = []

    def draw(session):
        try:
            barrier.wait()
            dose_draw(
                container=vial,
                session=session,
                by=nurse,
                ordered_by=prescriber,
                route="iv",
                dose_mg_per_kg=D("0.5"),
                infusion_minutes=40,
                started_at=timezone.now(),
            )
            outcomes.append("drawn")
        except RuleViolation as exc:
            outcomes.append(exc.type)
        finally:
            connection.close()

    # when
    threads = [threading.Thread(target=draw, args=(s,)) for s in sessions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # then: two draws landed, each with its dose; the four others left neither a dose nor an entry
    assert sorted(outcomes) == ["drawn"] * 2 + ["insufficient_stock"] * 4
    assert ContainerBalance.objects.get(container=vial).on_hand_mg == D("20.00")
    draws = LedgerEntry.objects.filter(kind="draw")
    assert draws.count() == 2
    assert set(DoseAdministration.objects.values_list("pk", flat=True)) == set(draws.values_list("dose_id", flat=True))
    assert sorted(draws.values_list("balance_after_mg", flat=True)) == [D("20.00"), D("60.00")]
