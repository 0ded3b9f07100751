from __future__ import annotations

import pytest

from kat_clinic.models import Patient

pytestmark = pytest.mark.django_db


def test_a_demographics_change_keeps_the_old_row_and_who_changed_it(api, scheduler, clinic, patient):
    # given
    old_phone = patient.phone

    # when
    response = api(scheduler).patch(f"/api/v1/patients/{patient.pk}/", {"phone": "+1 646 555 0199"})

    # then
    assert response.status_code == 200
    events = list(Patient.pgh_event_model.objects.filter(pgh_obj=patient).order_by("pgh_id"))
    assert [(e.pgh_label, e.phone) for e in events] == [("insert", old_phone), ("update", "+1 646 555 0199")]
    assert events[1].pgh_context.metadata["user"] == scheduler.user_id
