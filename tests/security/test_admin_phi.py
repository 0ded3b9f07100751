"""The Django admin under the API's rules: clinical content only to clinical roles of the row's clinic
(superusers included), and every admin page that shows PHI writes an audit row like the API does."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from integration.models import CheckIn
from kat_clinic.models import AuditEvent
from kat_clinic.roles import Role
from monitoring.services.notes import note_create
from tests.factories import RoomFactory
from tests.monitoring.factories import SessionFactory

pytestmark = pytest.mark.django_db

NOTE_BODY = "Patient described intrusive memories of the accident."
CHECKIN_NOTE = "Some nights I think about not waking up."


@pytest.fixture(autouse=True)
def plain_storage(settings):
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def note(patient, therapist):
    SessionFactory.reset_sequence()
    session = SessionFactory(patient=patient)
    return note_create(session=session, author=therapist, sections={"patient_experience": NOTE_BODY})


@pytest.fixture
def checkin(patient, clinic):
    return CheckIn.objects.create(patient=patient, clinic=clinic, mood_0_10=2, note=CHECKIN_NOTE)


def _admin_client(staff, *, superuser: bool) -> Client:
    user = staff.user
    user.is_staff, user.is_superuser = True, superuser
    user.save()
    if not superuser:
        user.user_permissions.set(Permission.objects.filter(codename__startswith="view_"))
    client = Client()
    client.force_login(user)
    return client


def test_a_superuser_without_a_clinical_role_reads_no_note_body_and_the_attempt_is_audited(admin_staff, note, clinic):
    # given: the clinic's admin, a superuser, holding no clinical role
    client = _admin_client(admin_staff, superuser=True)

    # when
    page = client.get(f"/admin/monitoring/clinicalnote/{note.pk}/change/")
    listing = client.get("/admin/monitoring/clinicalnote/")

    # then
    assert (page.status_code, listing.status_code) == (403, 403)
    assert NOTE_BODY not in page.content.decode() + listing.content.decode()
    rows = list(AuditEvent.objects.order_by("id").values_list("resource_type", "action", "outcome", "user_id"))
    assert rows == [
        ("clinicalnote", "admin_view", AuditEvent.Outcome.DENIED, admin_staff.user_id),
        ("clinicalnote", "admin_list", AuditEvent.Outcome.DENIED, admin_staff.user_id),
    ]
    assert AuditEvent.objects.filter(resource_ids__contains=[note.pk]).count() == 0


def test_a_superuser_without_a_clinical_role_reads_no_check_in_answers(admin_staff, checkin):
    # given
    client = _admin_client(admin_staff, superuser=True)

    # when
    page = client.get(f"/admin/integration/checkin/{checkin.pk}/change/")
    index = client.get("/admin/")

    # then: neither the answers nor the clinical sections
    assert CHECKIN_NOTE not in page.content.decode()
    shown = {(app["app_label"], m["object_name"]) for app in index.context["app_list"] for m in app["models"]}
    hidden = {
        ("integration", "CheckIn"),
        ("integration", "IntegrationPlan"),
        ("monitoring", "ClinicalNote"),
        ("monitoring", "DoseAdministration"),
    }
    assert shown & hidden == set()
    assert ("kat_clinic", "Patient") in shown


def test_a_clinician_of_the_clinic_reads_the_note_in_the_admin_and_the_read_is_audited(
    make_staff, clinic, note, patient
):
    # given: a prescriber of the note's clinic, staff with view permissions, not a superuser
    prescriber = make_staff(clinic, Role.PRESCRIBER)
    client = _admin_client(prescriber, superuser=False)

    # when
    page = client.get(f"/admin/monitoring/clinicalnote/{note.pk}/change/")

    # then
    assert page.status_code == 200
    assert NOTE_BODY in page.content.decode()
    event = AuditEvent.objects.get()
    assert (event.resource_type, event.action, event.method, event.path) == (
        "clinicalnote",
        "admin_view",
        "GET",
        f"/admin/monitoring/clinicalnote/{note.pk}/change/",
    )
    assert (event.clinic_id, event.patient_ids, event.resource_ids, event.roles) == (
        clinic.pk,
        [patient.pk],
        [note.pk],
        [Role.PRESCRIBER],
    )


def test_a_clinician_of_another_clinic_sees_none_of_this_clinics_notes(make_staff, other_clinic, note):
    # given
    elsewhere = make_staff(other_clinic, Role.PRESCRIBER)
    client = _admin_client(elsewhere, superuser=False)

    # when
    listing = client.get("/admin/monitoring/clinicalnote/")
    page = client.get(f"/admin/monitoring/clinicalnote/{note.pk}/change/")

    # then
    assert listing.status_code == 200
    assert list(listing.context["cl"].result_list) == []
    assert page.status_code == 302  # "does not exist", back to the index
    assert NOTE_BODY not in page.content.decode()


def test_demographic_admin_pages_are_audited_with_their_patients(admin_staff, patient, clinic):
    # given
    client = _admin_client(admin_staff, superuser=True)

    # when
    client.get("/admin/kat_clinic/patient/")
    client.get(f"/admin/kat_clinic/patient/{patient.pk}/change/")

    # then
    rows = list(AuditEvent.objects.order_by("id").values_list("resource_type", "action", "clinic_id", "patient_ids"))
    assert rows == [
        ("patient", "admin_list", clinic.pk, [patient.pk]),
        ("patient", "admin_view", clinic.pk, [patient.pk]),
    ]


def test_admin_pages_without_phi_write_no_audit_row(admin_staff, clinic):
    # given
    client = _admin_client(admin_staff, superuser=True)
    room = RoomFactory(clinic=clinic)

    # when
    responses = [client.get("/admin/"), client.get(f"/admin/kat_clinic/room/{room.pk}/change/")]

    # then
    assert [r.status_code for r in responses] == [200, 200]
    assert AuditEvent.objects.count() == 0
