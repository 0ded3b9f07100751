"""Enrolling plans the template's baseline scales as follow-up rows; ending the enrollment stops them."""

from __future__ import annotations

import pytest

from followups.models import FollowUp
from programs.services import enrollment_create, enrollment_withdraw

pytestmark = pytest.mark.django_db


def test_enrolling_plans_the_baseline_scales_in_the_same_transaction(iv_induction, patient, scheduler):
    # when
    enrollment = enrollment_create(patient=patient, template=iv_induction, by=scheduler)

    # then: PHQ-9, GAD-7 and C-SSRS at baseline, each a request and a reminder
    requests = FollowUp.objects.filter(kind=FollowUp.Kind.SCALE_REQUEST, patient=patient)
    assert sorted(f.payload["scale"] for f in requests) == ["cssrs", "gad7", "phq9"]
    assert {f.payload["enrollment_id"] for f in requests} == {enrollment.pk}
    assert FollowUp.objects.filter(kind=FollowUp.Kind.SCALE_REMINDER, patient=patient).count() == 3


def test_withdrawing_cancels_the_pending_scale_follow_ups(iv_induction, patient, scheduler):
    # given
    enrollment = enrollment_create(patient=patient, template=iv_induction, by=scheduler)

    # when
    enrollment_withdraw(enrollment=enrollment, by=scheduler, reason="Moved away")

    # then
    statuses = set(FollowUp.objects.filter(patient=patient).values_list("status", flat=True))
    assert statuses == {FollowUp.Status.CANCELLED}
