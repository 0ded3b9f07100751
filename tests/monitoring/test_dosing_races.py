from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal as D

import pytest
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from kat_clinic.errors import RuleViolation
from kat_clinic.models import Clinic, Patient
from monitoring.models import DoseAdministration
from monitoring.services.common import lock_session
from monitoring.services.dosing import dose_record
from sessions.models import Session


@pytest.mark.django_db(transaction=True)
def test_two_boluses_at_once_cannot_both_slip_under_the_cap(ready_session, nurse, prescriber):
    # given: 40 mg given of an 80 mg cap; two 30 mg boluses arrive together (only one fits)
    common = {
        "ordered_by": prescriber,
        "medication": "ketamine",
        "route": "im",
        "lot_number": "L1",
        "lot_expires_on": dt.date(2030, 1, 1),
    }
    dose_record(
        session=ready_session, by=nurse, kind="initial", dose_mg_per_kg=D("0.5"), started_at=timezone.now(), **common
    )
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def bolus():
        try:
            barrier.wait()
            dose_record(
                session=ready_session, by=nurse, kind="bolus", dose_mg=D("30"), started_at=timezone.now(), **common
            )
            outcomes.append("recorded")
        except RuleViolation as exc:
            outcomes.append(exc.type)
        finally:
            connection.close()

    # when
    threads = [threading.Thread(target=bolus) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # then
    assert sorted(outcomes) == ["dose_cap_exceeded", "recorded"]
    assert sum(d.dose_mg for d in DoseAdministration.objects.all()) == D("70.00")


@pytest.mark.django_db(transaction=True)
def test_a_charting_write_locks_its_session_not_the_clinic_or_the_patient(ready_session):
    # given a charting write holding its session's lock
    outcomes: dict[str, str] = {}

    def try_lock(name, model, pk):
        try:
            with transaction.atomic():
                model.objects.select_for_update(nowait=True).get(pk=pk)
            outcomes[name] = "locked"
        except DatabaseError:
            outcomes[name] = "busy"
        finally:
            connection.close()

    with transaction.atomic():
        lock_session(session_id=ready_session.pk)
        # when another connection asks for the session, its clinic and its patient at once
        for name, model, pk in (
            ("session", Session, ready_session.pk),
            ("clinic", Clinic, ready_session.clinic_id),
            ("patient", Patient, ready_session.patient_id),
        ):
            thread = threading.Thread(target=try_lock, args=(name, model, pk))
            thread.start()
            thread.join()

    # then only the session waits for the write; the clinic's other charts and the patient do not
    assert outcomes == {"session": "busy", "clinic": "locked", "patient": "locked"}
