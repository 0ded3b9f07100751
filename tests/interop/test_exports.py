"""CSV exports: the schedule for a date range, outcomes per program, the audit trail, disclosures."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.utils import timezone

from interop.models import Disclosure
from kat_clinic.models import AuditEvent
from kat_clinic.roles import Role
from monitoring.services.scales import scale_response_record

pytestmark = pytest.mark.django_db


def rows(response) -> list[dict]:
    return list(csv.DictReader(io.StringIO(response.content.decode())))


def local_day(chart, session) -> dt.date:
    return timezone.localtime(session.starts_at, chart.held.clinic.tz).date()


def test_the_front_desk_exports_the_schedule_of_a_date_range(api, chart, clinic, scheduler):
    # given: the range covers the held session only
    day = local_day(chart, chart.held)

    # when
    response = api(scheduler).get("/api/v1/exports/schedule/", {"clinic": clinic.pk, "start": day, "end": day})

    # then
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    [row] = rows(response)
    start = timezone.localtime(chart.held.starts_at, clinic.tz)
    assert row == {
        "session_id": str(chart.held.pk),
        "date": day.isoformat(),
        "start": start.strftime("%H:%M"),
        "end": timezone.localtime(chart.held.ends_at, clinic.tz).strftime("%H:%M"),
        "kind": "dosing",
        "status": "completed",
        "room": "Chair 1",
        "telehealth": "no",
        "patient_mrn": "MRN-0042",
        "patient_name": "Lovelace, Ada",
        "staff": f"{chart.nurse} (nurse)",
    }
    disclosure = Disclosure.objects.get()
    assert (disclosure.document, disclosure.resource_ids, disclosure.patient_ids) == (
        "schedule_csv",
        [chart.held.pk],
        [chart.patient.pk],
    )


def test_a_reversed_range_is_refused(api, clinic, scheduler):
    response = api(scheduler).get(
        "/api/v1/exports/schedule/", {"clinic": clinic.pk, "start": "2026-12-10", "end": "2026-12-01"}
    )

    assert response.status_code == 400
    assert response.json()["errors"] == {"end": ["The end date is before the start date."]}
    assert Disclosure.objects.count() == 0


def test_another_clinics_schedule_is_not_found(api, other_clinic, scheduler):
    response = api(scheduler).get(
        "/api/v1/exports/schedule/", {"clinic": other_clinic.pk, "start": "2026-12-01", "end": "2026-12-01"}
    )

    assert response.status_code == 404


def test_outcomes_count_baseline_response_and_remission_per_program(api, chart, clinic, admin_staff):
    # given: baseline 12 (from the chart), then 5: responded (<= 6), not remitted (not < 5)
    scale_response_record(patient=chart.patient, scale="phq9", answers=[1, 1, 1, 1, 1, 0, 0, 0, 0], by=chart.therapist)

    # when
    response = api(admin_staff).get("/api/v1/exports/outcomes/", {"clinic": clinic.pk})

    # then
    assert response.status_code == 200
    assert rows(response) == [
        {
            "program": chart.enrollment.template.name,
            "version": str(chart.enrollment.template.version),
            "pathway": "infusion_only",
            "enrollments": "1",
            "with_baseline": "1",
            "with_follow_up": "1",
            "response": "1",
            "remission": "0",
        }
    ]


def test_admins_export_the_audit_trail_and_others_cannot(api, chart, clinic, admin_staff, nurse):
    # given: one audited read at the clinic
    api(chart.nurse).get(f"/api/v1/fhir/Patient/{chart.patient.pk}/$everything")
    today = timezone.localdate(timezone=clinic.tz)

    # when
    query = {"clinic": clinic.pk, "start": today, "end": today}
    refused = api(nurse).get("/api/v1/exports/audit-events/", query)
    response = api(admin_staff).get("/api/v1/exports/audit-events/", query)

    # then
    assert refused.status_code == 403
    assert response.status_code == 200
    exported = rows(response)
    assert [(r["resource_type"], r["patient_ids"], r["username"]) for r in exported] == [
        ("disclosure:fhir_everything", str(chart.patient.pk), chart.nurse.user.username)
    ]


def test_a_patients_accounting_of_disclosures_lists_what_left_and_to_whom(api, chart, admin_staff, make_staff, clinic):
    # given: two releases of the patient's record
    api(chart.prescriber).get(f"/api/v1/fhir/Patient/{chart.patient.pk}/$everything")
    api(chart.nurse).get(f"/api/v1/documents/consents/{chart.consent.pk}/")

    # when
    response = api(admin_staff).get("/api/v1/exports/disclosures/", {"patient": chart.patient.pk})

    # then
    assert response.status_code == 200
    assert [(r["channel"], r["document"], r["recipient"]) for r in rows(response)] == [
        ("fhir", "fhir_everything", f"user:{chart.prescriber.user.username}"),
        ("api_download", "consent_pdf", f"user:{chart.nurse.user.username}"),
    ]
    assert AuditEvent.objects.filter(resource_type="disclosures_csv", patient_ids=[chart.patient.pk]).count() == 1


@pytest.mark.parametrize("role", [Role.NURSE, Role.PRESCRIBER, Role.SCHEDULER, Role.THERAPIST])
def test_only_admins_read_the_accounting_of_disclosures(api, chart, clinic, make_staff, role):
    response = api(make_staff(clinic, role)).get("/api/v1/exports/disclosures/", {"patient": chart.patient.pk})

    assert response.status_code == 403
