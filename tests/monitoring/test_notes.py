from __future__ import annotations

import hashlib

import pytest
from django.db import connection, transaction
from django.db.utils import InternalError

from kat_clinic.roles import Role
from monitoring.models import ClinicalNote
from monitoring.services.notes import note_canonical_content, note_create, note_sign
from programs.choices import SessionKind
from tests.monitoring.factories import SessionFactory

pytestmark = pytest.mark.django_db


def _signed_note(session, author):
    note = note_create(session=session, author=author, sections={"pre_dose_checks": "BP 128/82"}, body="Calm.")
    return note_sign(note=note, by=author)


def test_note_is_created_with_sections_of_the_session_kind(api, therapist, patient):
    # given
    session = SessionFactory(patient=patient, kind=SessionKind.PREPARATION)
    body = {"session": session.pk, "sections": {"intentions": "Grief", "consent_reviewed": True}, "body": "Intro."}

    # when
    response = api(therapist).post("/api/v1/chart/notes/", body)

    # then
    assert response.status_code == 201
    note = ClinicalNote.objects.get()
    assert (note.kind, note.author_id, note.status, note.version) == ("preparation", therapist.pk, "draft", 1)
    assert note.sections == {"intentions": "Grief", "consent_reviewed": True}


def test_sections_of_another_kind_are_refused(api, therapist, patient):
    # given
    session = SessionFactory(patient=patient, kind=SessionKind.INTEGRATION)

    # when
    response = api(therapist).post("/api/v1/chart/notes/", {"session": session.pk, "sections": {"intentions": "x"}})

    # then
    assert response.status_code == 400
    assert "sections" in response.json()["errors"]
    assert not ClinicalNote.objects.exists()


def test_a_second_note_for_a_session_is_a_conflict(api, nurse, session):
    # given
    note_create(session=session, author=nurse, sections={})

    # when
    response = api(nurse).post("/api/v1/chart/notes/", {"session": session.pk})

    # then
    assert response.status_code == 409
    assert ClinicalNote.objects.count() == 1


def test_get_returns_an_etag_and_patch_without_if_match_is_428(api, nurse, session):
    # given
    note = note_create(session=session, author=nurse, sections={}, body="v1")
    client = api(nurse)

    # when
    read = client.get(f"/api/v1/chart/notes/{note.pk}/")
    response = client.patch(f"/api/v1/chart/notes/{note.pk}/", {"body": "v2"})

    # then
    assert read["ETag"] == '"1"'
    assert response.status_code == 428
    note.refresh_from_db()
    assert (note.body, note.version) == ("v1", 1)


def test_patch_with_a_stale_etag_is_412_and_changes_nothing(api, nurse, session):
    # given
    note = note_create(session=session, author=nurse, sections={}, body="v1")
    client = api(nurse)
    assert client.patch(f"/api/v1/chart/notes/{note.pk}/", {"body": "v2"}, HTTP_IF_MATCH='"1"').status_code == 200

    # when: a second editor still holds version 1
    response = client.patch(f"/api/v1/chart/notes/{note.pk}/", {"body": "v3"}, HTTP_IF_MATCH='"1"')

    # then
    assert response.status_code == 412
    note.refresh_from_db()
    assert (note.body, note.version) == ("v2", 2)


def test_patch_with_the_current_etag_saves_and_returns_the_next_etag(api, nurse, session):
    # given
    note = note_create(session=session, author=nurse, sections={}, body="v1")

    # when
    response = api(nurse).patch(
        f"/api/v1/chart/notes/{note.pk}/",
        {"body": "v2", "sections": {"patient_experience": "Floating"}},
        HTTP_IF_MATCH='"1"',
    )

    # then
    assert response.status_code == 200
    assert response["ETag"] == '"2"'
    note.refresh_from_db()
    assert (note.body, note.sections) == ("v2", {"patient_experience": "Floating"})


def test_signing_records_who_when_and_the_hash_of_the_canonical_content(api, nurse, session):
    # given
    note = note_create(session=session, author=nurse, sections={"pre_dose_checks": "ok"}, body="Calm.")

    # when
    response = api(nurse).post(f"/api/v1/chart/notes/{note.pk}/sign/")

    # then
    assert response.status_code == 200
    note.refresh_from_db()
    assert note.status == "signed"
    assert note.signed_by_id == nurse.pk
    assert note.signed_at is not None
    assert note.content_sha256 == hashlib.sha256(note_canonical_content(note)).hexdigest()


def test_authors_sign_only_their_own_notes(api, nurse, session, make_staff, clinic):
    # given
    other = make_staff(clinic, Role.NURSE)
    note = note_create(session=session, author=nurse, sections={})

    # when
    response = api(other).post(f"/api/v1/chart/notes/{note.pk}/sign/")

    # then
    assert response.status_code == 422
    note.refresh_from_db()
    assert note.status == "draft"


def test_a_signed_note_cannot_be_patched(api, nurse, session):
    # given
    note = _signed_note(session, nurse)

    # when
    response = api(nurse).patch(f"/api/v1/chart/notes/{note.pk}/", {"body": "changed"}, HTTP_IF_MATCH=note.etag)

    # then
    assert response.status_code == 409
    note.refresh_from_db()
    assert note.body == "Calm."


def test_a_signed_note_is_frozen_through_the_orm(nurse, session):
    # given
    note = _signed_note(session, nurse)

    # when / then
    with pytest.raises(InternalError), transaction.atomic():
        ClinicalNote.objects.filter(pk=note.pk).update(body="tampered")
    with pytest.raises(InternalError), transaction.atomic():
        note.delete()
    note.refresh_from_db()
    assert note.body == "Calm."


def test_a_signed_note_is_frozen_even_through_raw_sql(nurse, session):
    # given
    note = _signed_note(session, nurse)
    digest = note.content_sha256

    # when
    for statement in (
        "UPDATE monitoring_clinicalnote SET body = 'tampered' WHERE id = %s",
        "UPDATE monitoring_clinicalnote SET status = 'draft', signed_at = NULL, signed_by_id = NULL, "
        "content_sha256 = '' WHERE id = %s",
        "DELETE FROM monitoring_clinicalnote WHERE id = %s",
    ):
        with pytest.raises(InternalError) as refused, transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement, [note.pk])
        # then
        assert refused.value.__cause__.pgcode == "P0001"

    note.refresh_from_db()
    assert (note.body, note.status, note.content_sha256) == ("Calm.", "signed", digest)


def test_a_dosing_note_is_cosigned_once_by_a_prescriber(api, nurse, prescriber, session):
    # given
    note = _signed_note(session, nurse)

    # when
    first = api(prescriber).post(f"/api/v1/chart/notes/{note.pk}/cosign/")
    second = api(prescriber).post(f"/api/v1/chart/notes/{note.pk}/cosign/")

    # then
    assert first.status_code == 200
    assert second.status_code == 409
    note.refresh_from_db()
    assert note.cosigned_by_id == prescriber.pk
    assert note.body == "Calm."


def test_a_nurse_cannot_cosign(api, nurse, make_staff, clinic, session):
    # given
    note = _signed_note(session, nurse)
    other_nurse = make_staff(clinic, Role.NURSE)

    # when
    response = api(other_nurse).post(f"/api/v1/chart/notes/{note.pk}/cosign/")

    # then
    assert response.status_code == 403
    note.refresh_from_db()
    assert note.cosigned_by_id is None


def test_the_cosignature_columns_cannot_be_rewritten_once_filled(nurse, prescriber, make_staff, clinic, session):
    # given
    note = _signed_note(session, nurse)
    ClinicalNote.objects.filter(pk=note.pk).update(cosigned_by=prescriber, cosigned_at=note.signed_at)
    other = make_staff(clinic, Role.PRESCRIBER)

    # when / then
    with pytest.raises(InternalError), transaction.atomic():
        ClinicalNote.objects.filter(pk=note.pk).update(cosigned_by=other)
    note.refresh_from_db()
    assert note.cosigned_by_id == prescriber.pk


def test_cosigning_cannot_smuggle_another_change(nurse, prescriber, session):
    # given
    note = _signed_note(session, nurse)

    # when / then
    with pytest.raises(InternalError), transaction.atomic():
        ClinicalNote.objects.filter(pk=note.pk).update(
            cosigned_by=prescriber, cosigned_at=note.signed_at, body="tampered"
        )
    note.refresh_from_db()
    assert (note.body, note.cosigned_by_id) == ("Calm.", None)


def test_a_correction_is_an_addendum_signed_and_frozen_in_turn(api, nurse, session):
    # given
    note = _signed_note(session, nurse)
    client = api(nurse)

    # when
    created = client.post(f"/api/v1/chart/notes/{note.pk}/addenda/", {"body": "BP was 128/84, not 128/82."})
    addendum_id = created.json()["id"]
    signed = client.post(f"/api/v1/chart/notes/{addendum_id}/sign/")

    # then
    assert created.status_code == 201
    assert signed.status_code == 200
    addendum = ClinicalNote.objects.get(pk=addendum_id)
    assert (addendum.amends_id, addendum.status) == (note.pk, "signed")
    with pytest.raises(InternalError), transaction.atomic():
        ClinicalNote.objects.filter(pk=addendum_id).update(body="again")
    listed = client.get(f"/api/v1/chart/notes/?session={session.pk}").json()["results"]
    assert [n["id"] for n in listed] == [note.pk]
    assert [a["id"] for a in listed[0]["addenda"]] == [addendum_id]


def test_the_scheduler_cannot_read_notes(api, scheduler, nurse, session):
    # given
    note = note_create(session=session, author=nurse, sections={})

    # when
    listed = api(scheduler).get("/api/v1/chart/notes/")
    one = api(scheduler).get(f"/api/v1/chart/notes/{note.pk}/")

    # then
    assert (listed.status_code, one.status_code) == (403, 403)
    assert "results" not in listed.json()


def test_another_clinics_note_answers_404(api, nurse, other_clinic, make_staff):
    # given
    their_nurse = make_staff(other_clinic, Role.NURSE)
    from tests.factories import PatientFactory

    theirs = note_create(
        session=SessionFactory(patient=PatientFactory(home_clinic=other_clinic)), author=their_nurse, sections={}
    )

    # when
    response = api(nurse).get(f"/api/v1/chart/notes/{theirs.pk}/")

    # then
    assert response.status_code == 404
