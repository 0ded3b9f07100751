"""The demo's charted past: completed, fully charted dosing sessions, so clinical screens are not empty."""

from __future__ import annotations

import pytest

from kat_clinic.demo import seed_demo
from monitoring.models import Alert, ClinicalNote, Consent, DoseAdministration, ScaleResponse, VitalSign
from sessions.models import Session

pytestmark = pytest.mark.django_db

CHARTED = ("DEMO0003", "DEMO0004", "DEMO0005")


def _phq9_totals(mrn: str) -> list[int]:
    rows = ScaleResponse.objects.filter(patient__mrn=mrn, scale="phq9").order_by("completed_at")
    return list(rows.values_list("total", flat=True))


def test_the_demo_seeds_weeks_of_charted_sessions_once():
    # when the demo is seeded twice
    seed_demo()
    seed_demo()

    # then three patients have four completed, dosed, charted sessions each, in the past
    completed = Session.objects.filter(status=Session.Status.COMPLETED)
    assert sorted(set(completed.values_list("patient__mrn", flat=True))) == list(CHARTED)
    assert completed.count() == 12
    assert DoseAdministration.objects.filter(session__in=completed).count() == 12
    assert Consent.objects.filter(patient__mrn__in=CHARTED).count() == 3
    assert VitalSign.objects.filter(session__in=completed).count() == 12 * 12
    # every session's note signed, one addendum per patient, signed too
    notes = ClinicalNote.objects.filter(session__in=completed)
    assert notes.filter(amends__isnull=True).count() == 12
    assert notes.filter(amends__isnull=False).count() == 3
    assert not notes.exclude(status=ClinicalNote.Status.SIGNED).exists()
    # one session's blood pressure raised one threshold alert
    (alert,) = Alert.objects.all()
    assert alert.session.patient.mrn == "DEMO0005"
    # PHQ-9 over the weeks: one patient responding (>= 50 % down), one remitting (under 5)
    responder, remitter = _phq9_totals("DEMO0003"), _phq9_totals("DEMO0004")
    assert responder == [16, 13, 10, 7]
    assert remitter == [17, 11, 5, 3]
    assert responder[-1] <= responder[0] / 2
    assert remitter[-1] < 5


def test_the_demo_history_is_dated_when_it_happened():
    # when
    clinic = seed_demo()

    # then: each PHQ-9 response carries its session's day, weeks apart, not the day of seeding
    days = [
        r.completed_at.astimezone(clinic.tz).date()
        for r in ScaleResponse.objects.filter(patient__mrn="DEMO0004", scale="phq9").order_by("completed_at")
    ]
    sessions = Session.objects.filter(patient__mrn="DEMO0004", status=Session.Status.COMPLETED).order_by("starts_at")
    assert days == [s.starts_at.astimezone(clinic.tz).date() for s in sessions]
    assert [(b - a).days for a, b in zip(days, days[1:], strict=False)] == [14, 14, 7]
