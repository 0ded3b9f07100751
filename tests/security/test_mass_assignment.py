"""Fields a client must never set (clinic, author, signed_at, status, version...) are ignored on write,
and the stored values are what the server decided."""

from __future__ import annotations

import pytest

from kat_clinic.models import Patient
from monitoring.models import ClinicalNote
from programs.choices import SessionKind
from tests.factories import ClinicFactory
from tests.monitoring.factories import SessionFactory

pytestmark = pytest.mark.django_db


def test_a_note_ignores_author_signature_status_version_and_hash_sent_by_the_client(
    api, therapist, prescriber, patient
):
    # given
    session = SessionFactory(patient=patient, kind=SessionKind.PREPARATION)
    body = {
        "session": session.pk,
        "sections": {"intentions": "Grief"},
        "body": "Intro.",
        "author": prescriber.pk,
        "status": "signed",
        "version": 99,
        "signed_by": prescriber.pk,
        "signed_at": "2020-01-01T00:00:00Z",
        "content_sha256": "0" * 64,
        "cosigned_by": prescriber.pk,
        "kind": "dosing",
        "patient": 999999,
    }

    # when
    response = api(therapist).post("/api/v1/chart/notes/", body, format="json")

    # then
    assert response.status_code == 201
    note = ClinicalNote.objects.get()
    assert (note.author_id, note.status, note.version, note.kind, note.patient_id) == (
        therapist.pk,
        "draft",
        1,
        "preparation",
        patient.pk,
    )
    assert (note.signed_by_id, note.signed_at, note.content_sha256, note.cosigned_by_id) == (None, None, "", None)


def test_a_patient_update_cannot_move_the_patient_to_another_clinic(api, scheduler, patient, organization):
    # given
    elsewhere = ClinicFactory(organization=organization)

    # when
    response = api(scheduler).patch(f"/api/v1/patients/{patient.pk}/", {"home_clinic": elsewhere.pk}, format="json")

    # then
    assert response.status_code == 400
    assert Patient.objects.get(pk=patient.pk).home_clinic_id == patient.home_clinic_id
