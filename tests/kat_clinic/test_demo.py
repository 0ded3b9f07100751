from __future__ import annotations

import pytest

from kat_clinic.demo import DEMO_STAFF, seed_demo
from kat_clinic.models import Patient, Room, StaffMember
from programs.models import PlannedSession, ProgramTemplate
from sessions.models import Session

pytestmark = pytest.mark.django_db


def test_the_demo_seed_builds_the_clinic_and_is_idempotent():
    # when
    seed_demo()
    seed_demo()

    # then
    assert Room.objects.count() == 5
    assert StaffMember.objects.count() == len(DEMO_STAFF)
    assert Patient.objects.count() == 12
    published = ProgramTemplate.objects.filter(state=ProgramTemplate.State.PUBLISHED)
    assert sorted(published.values_list("name", flat=True)) == [
        "Esketamine induction (REMS)",
        "IV ketamine booster",
        "IV ketamine induction",
        "Ketamine-assisted therapy",
    ]
    # and two programs are booked in full, ready for the day board
    assert Session.objects.filter(patient__mrn="DEMO0001").count() == 14
    assert Session.objects.filter(patient__mrn="DEMO0002").count() == 6
    assert not PlannedSession.objects.filter(status=PlannedSession.Status.TO_BOOK).exists()
