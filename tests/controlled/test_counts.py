"""Blind counts: what the counter saw against the ledger; a difference opens a discrepancy."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from django.utils import timezone

from controlled.models import Count, CountLine, Discrepancy
from controlled.services.counts import CountedLine, count_record, count_sheet, discrepancy_resolve
from followups.models import FollowUp
from kat_clinic.errors import Conflict, RuleViolation
from tests.controlled.factories import EsketamineDeviceFactory, receive

pytestmark = pytest.mark.django_db


def test_a_count_that_matches_opens_nothing(vial, nurse2):
    # when
    count = count_record(
        clinic=vial.clinic,
        kind="shift",
        by=nurse2,
        counted_at=timezone.now(),
        lines=[CountedLine(container_id=vial.pk, counted_mg=D("500.00"))],
    )

    # then
    line = CountLine.objects.get(count=count)
    assert (line.counted_mg, line.expected_mg) == (D("500.00"), D("500.00"))
    assert not Discrepancy.objects.exists()
    assert not FollowUp.objects.exists()


def test_a_count_that_differs_opens_a_discrepancy_to_the_registrant_until_resolved(
    vial, registration, nurse, nurse2, prescriber
):
    # given: a pack of 3 devices too
    pack = receive(registration=registration, by=nurse, checker=nurse2, product=EsketamineDeviceFactory(), devices=3)

    # when: the counter sees 480 mg in the vial and 3 devices
    count_record(
        clinic=vial.clinic,
        kind="daily",
        by=nurse2,
        counted_at=timezone.now(),
        lines=[
            CountedLine(container_id=vial.pk, counted_mg=D("480")),
            CountedLine(container_id=pack.pk, counted_devices=3),
        ],
    )

    # then: one discrepancy (-20 mg) on the vial, an alert to the registrant
    discrepancy = Discrepancy.objects.get()
    assert (discrepancy.container, discrepancy.difference_mg, discrepancy.resolved_at) == (vial, D("-20.00"), None)
    alert = FollowUp.objects.get()
    assert (alert.kind, alert.staff_id, alert.payload["discrepancy_id"]) == (
        "controlled_discrepancy",
        prescriber.pk,
        discrepancy.pk,
    )

    # and: only the registrant resolves it, with a reason, once
    with pytest.raises(RuleViolation):
        discrepancy_resolve(discrepancy=discrepancy, by=nurse, resolution="Recounted")
    with pytest.raises(RuleViolation):
        discrepancy_resolve(discrepancy=discrepancy, by=prescriber, resolution=" ")
    resolved = discrepancy_resolve(discrepancy=discrepancy, by=prescriber, resolution="Misread the syringe scale")
    assert (resolved.resolved_by, resolved.resolution) == (prescriber, "Misread the syringe scale")
    with pytest.raises(Conflict):
        discrepancy_resolve(discrepancy=discrepancy, by=prescriber, resolution="again")


def test_a_count_must_cover_the_whole_sheet(vial, registration, nurse, nurse2):
    # given: two vials on the sheet
    second = receive(registration=registration, by=nurse, checker=nurse2, lot_number="KET-3000")
    assert [c.pk for c in count_sheet(clinic_id=vial.clinic_id)] == [vial.pk, second.pk]

    # when
    with pytest.raises(RuleViolation) as refused:
        count_record(
            clinic=vial.clinic,
            kind="shift",
            by=nurse2,
            counted_at=timezone.now(),
            lines=[CountedLine(container_id=vial.pk, counted_mg=D("500"))],
        )

    # then
    assert (refused.value.type, refused.value.extra["missing"]) == ("count_incomplete", [second.pk])
    assert not Count.objects.exists()
