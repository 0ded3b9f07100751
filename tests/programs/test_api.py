from __future__ import annotations

import pytest

from kat_clinic.models import AuditEvent
from kat_clinic.roles import Role
from programs.models import Enrollment, PlannedSession, ProgramTemplate, TemplateStep
from programs.services import enrollment_create, template_create, template_publish
from tests.factories import PatientFactory
from tests.programs.factories import small_kat_spec

pytestmark = pytest.mark.django_db


def _api_body() -> dict:
    body = small_kat_spec()
    body["steps"][1]["dose_mg_per_kg"] = "0.750"
    for rule in body["rules"]:
        for key in ("min_interval", "max_interval", "period"):
            if rule.get(key) is not None:
                rule[key] = (
                    f"P{rule[key].days}D" if rule[key].seconds == 0 else f"PT{rule[key].total_seconds() / 3600:g}H"
                )
    return body


def test_admin_creates_a_template_with_all_its_parts_in_one_write(api, admin_staff, organization):
    # when
    response = api(admin_staff).post("/api/v1/program-templates/", _api_body())

    # then
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["name"], body["state"], body["version"], body["clinic"]) == ("KAT short course", "draft", 1, None)
    assert [s["position"] for s in body["steps"]] == [1, 2, 3]
    assert body["steps"][1]["staff_needs"] == [
        {"role": "nurse", "mode": "shared", "start_offset_minutes": 0, "end_offset_minutes": 100},
        {"role": "therapist", "mode": "exclusive", "start_offset_minutes": 0, "end_offset_minutes": 180},
    ]
    assert body["rules"][1]["step_position"] == 3
    assert body["rules"][1]["min_interval"] == "1 00:00:00"
    template = ProgramTemplate.objects.get(pk=body["id"])
    assert (template.organization_id, template.created_by_id) == (organization.pk, admin_staff.pk)


def test_client_cannot_set_state_or_version_on_create(api, admin_staff):
    # given
    body = {**_api_body(), "state": "published", "version": 7}

    # when
    response = api(admin_staff).post("/api/v1/program-templates/", body)

    # then
    assert response.status_code == 201
    assert (response.json()["state"], response.json()["version"]) == ("draft", 1)


def test_an_invalid_template_is_refused_with_field_errors_and_nothing_saved(api, admin_staff):
    # given
    body = _api_body()
    body["steps"][1]["block_minutes"] = 90

    # when
    response = api(admin_staff).post("/api/v1/program-templates/", body)

    # then
    assert response.status_code == 422
    assert response.json()["type"] == "urn:kat-clinic:problem:invalid_template"
    assert "steps.1.block_minutes" in response.json()["errors"]
    assert not ProgramTemplate.objects.exists()
    assert not TemplateStep.objects.exists()


def test_scheduler_cannot_write_templates_and_nothing_changes(api, scheduler, organization):
    # given
    template = template_create(organization=organization, by=None, **small_kat_spec())
    client = api(scheduler)

    # when
    created = client.post("/api/v1/program-templates/", _api_body())
    edited = client.patch(f"/api/v1/program-templates/{template.pk}/", {"name": "Mine now"})
    published = client.post(f"/api/v1/program-templates/{template.pk}/publish/")

    # then
    assert (created.status_code, edited.status_code, published.status_code) == (403, 403, 403)
    template.refresh_from_db()
    assert (template.name, template.state) == ("KAT short course", "draft")
    assert ProgramTemplate.objects.count() == 1


def test_scheduler_reads_templates(api, scheduler, shipped):
    # when
    response = api(scheduler).get("/api/v1/program-templates/")

    # then
    assert response.status_code == 200
    assert response.json()["count"] == 4


def test_publish_clone_and_retire_through_the_api(api, admin_staff, organization):
    # given
    template = template_create(organization=organization, by=None, **small_kat_spec())
    client = api(admin_staff)

    # when
    published = client.post(f"/api/v1/program-templates/{template.pk}/publish/")
    cloned = client.post(f"/api/v1/program-templates/{template.pk}/clone/")
    retired = client.post(f"/api/v1/program-templates/{template.pk}/retire/")

    # then
    assert (published.status_code, published.json()["state"]) == (200, "published")
    assert (cloned.status_code, cloned.json()["state"], cloned.json()["version"]) == (201, "draft", 2)
    assert len(cloned.json()["steps"]) == 3
    assert (retired.status_code, retired.json()["state"]) == (200, "retired")


def test_publishing_an_incomplete_template_is_refused_with_field_errors(api, admin_staff, organization):
    # given
    spec = small_kat_spec()
    spec["prerequisites"] = [{"kind": "weight_recent"}]
    template = template_create(organization=organization, by=None, **spec)

    # when
    response = api(admin_staff).post(f"/api/v1/program-templates/{template.pk}/publish/")

    # then
    assert response.status_code == 422
    assert response.json()["errors"] == {
        "prerequisites": [
            "Dosing sessions need the 'consent' prerequisite.",
            "Dosing sessions need the 'contraindication_screen' prerequisite.",
        ]
    }
    template.refresh_from_db()
    assert template.state == "draft"


def test_a_published_template_cannot_be_changed_through_the_api(api, admin_staff, kat_template):
    # given
    client = api(admin_staff)
    steps = client.get(f"/api/v1/program-templates/{kat_template.pk}/").json()["steps"]
    steps[1]["count"] = 12

    # when
    renamed = client.patch(f"/api/v1/program-templates/{kat_template.pk}/", {"name": "Edited"})
    restepped = client.patch(f"/api/v1/program-templates/{kat_template.pk}/", {"steps": steps})
    deleted = client.delete(f"/api/v1/program-templates/{kat_template.pk}/")

    # then
    assert (renamed.status_code, restepped.status_code, deleted.status_code) == (409, 409, 409)
    assert renamed.json()["type"] == "urn:kat-clinic:problem:template_frozen"
    kat_template.refresh_from_db()
    assert (kat_template.name, kat_template.state) == ("Ketamine-assisted therapy", "published")
    assert kat_template.steps.get(kind="dosing").count == 6


def test_admin_edits_a_draft_and_the_lists_given_replace_the_stored_ones(api, admin_staff, organization):
    # given
    template = template_create(organization=organization, by=None, **small_kat_spec())

    # when
    response = api(admin_staff).patch(
        f"/api/v1/program-templates/{template.pk}/",
        {"name": "KAT v2", "prerequisites": [{"kind": "consent"}, {"kind": "ride_confirmed", "max_age_days": 2}]},
    )

    # then
    assert response.status_code == 200, response.json()
    assert response.json()["name"] == "KAT v2"
    assert response.json()["prerequisites"] == [
        {"kind": "consent", "max_age_days": None},
        {"kind": "ride_confirmed", "max_age_days": 2},
    ]
    assert len(response.json()["steps"]) == 3


def test_another_clinics_own_template_is_invisible(api, admin_staff, make_staff, organization, other_clinic):
    # given
    theirs = template_create(organization=organization, clinic=other_clinic, by=None, **small_kat_spec())
    shared = template_create(organization=organization, by=None, **{**small_kat_spec(), "name": "Shared"})

    # when
    listed = api(admin_staff).get("/api/v1/program-templates/")
    detail = api(admin_staff).get(f"/api/v1/program-templates/{theirs.pk}/")
    clone = api(admin_staff).post(f"/api/v1/program-templates/{theirs.pk}/clone/")

    # then
    assert [t["id"] for t in listed.json()["results"]] == [shared.pk]
    assert (detail.status_code, clone.status_code) == (404, 404)
    assert ProgramTemplate.objects.count() == 2


def test_template_list_query_count_is_fixed(api, scheduler, shipped, django_assert_max_num_queries):
    # given
    client = api(scheduler)

    # when / then: roles, staff, count, page, steps, needs, rules, prerequisites, scales, audit
    with django_assert_max_num_queries(12):
        response = client.get("/api/v1/program-templates/")
    assert response.json()["count"] == 4


def test_scheduler_enrolls_a_patient_through_the_api(api, scheduler, kat_template, patient):
    # when
    response = api(scheduler).post("/api/v1/enrollments/", {"patient": patient.pk, "template": kat_template.pk})

    # then
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["status"], body["pathway"], body["template_version"], body["clinic"]) == (
        "active",
        "kat",
        1,
        patient.home_clinic_id,
    )
    assert body["enrolled_by"] == scheduler.pk
    assert PlannedSession.objects.filter(enrollment_id=body["id"]).count() == 14
    event = AuditEvent.objects.get(method="POST")
    assert event.patient_ids == [patient.pk]


def test_a_second_open_enrollment_answers_409_with_a_clear_message(api, scheduler, kat_template, patient):
    # given
    client = api(scheduler)
    client.post("/api/v1/enrollments/", {"patient": patient.pk, "template": kat_template.pk})

    # when
    response = client.post("/api/v1/enrollments/", {"patient": patient.pk, "template": kat_template.pk})

    # then
    assert response.status_code == 409
    assert response.json()["type"] == "urn:kat-clinic:problem:already_enrolled"
    assert "open enrollment" in response.json()["errors"]["template"][0]
    assert Enrollment.objects.count() == 1


def test_enrolling_another_clinics_patient_is_refused(api, scheduler, kat_template, other_clinic):
    # given
    theirs = PatientFactory(home_clinic=other_clinic)

    # when
    response = api(scheduler).post("/api/v1/enrollments/", {"patient": theirs.pk, "template": kat_template.pk})

    # then
    assert response.status_code == 400
    assert "patient" in response.json()["errors"]
    assert not Enrollment.objects.exists()


def test_another_clinics_enrollment_answers_404(api, scheduler, kat_template, other_clinic, make_staff):
    # given
    theirs = enrollment_create(patient=PatientFactory(home_clinic=other_clinic), template=kat_template, by=None)
    client = api(scheduler)

    # when
    detail = client.get(f"/api/v1/enrollments/{theirs.pk}/")
    progress = client.get(f"/api/v1/enrollments/{theirs.pk}/progress/")
    withdraw = client.post(f"/api/v1/enrollments/{theirs.pk}/withdraw/", {"reason": "not mine"})
    listed = client.get("/api/v1/enrollments/")

    # then
    assert (detail.status_code, progress.status_code, withdraw.status_code) == (404, 404, 404)
    assert listed.json()["count"] == 0
    assert Enrollment.objects.get(pk=theirs.pk).status == "active"


def test_admin_role_does_not_read_enrollments(api, admin_staff, kat_template, patient):
    # given
    enrollment_create(patient=patient, template=kat_template, by=None)

    # when
    response = api(admin_staff).get("/api/v1/enrollments/")

    # then
    assert response.status_code == 403


def test_enrollments_filter_by_patient_status_and_template(api, nurse, clinic, kat_template, iv_induction):
    # given
    first, second = PatientFactory(home_clinic=clinic), PatientFactory(home_clinic=clinic)
    a = enrollment_create(patient=first, template=kat_template, by=None)
    b = enrollment_create(patient=second, template=iv_induction, by=None)
    client = api(nurse)

    # when / then
    assert [e["id"] for e in client.get(f"/api/v1/enrollments/?patient={first.pk}").json()["results"]] == [a.pk]
    assert [e["id"] for e in client.get(f"/api/v1/enrollments/?template={iv_induction.pk}").json()["results"]] == [b.pk]
    assert client.get("/api/v1/enrollments/?status=paused").json()["count"] == 0
    assert [e["id"] for e in client.get("/api/v1/enrollments/?pathway=kat").json()["results"]] == [a.pk]
    page = client.get("/api/v1/enrollments/?page_size=1").json()
    assert (page["count"], len(page["results"])) == (2, 1)


def test_enrollment_list_query_count_is_fixed(api, nurse, clinic, kat_template, django_assert_max_num_queries):
    # given
    for _ in range(15):
        enrollment_create(patient=PatientFactory(home_clinic=clinic), template=kat_template, by=None)
    client = api(nurse)

    # when / then: roles, count, page, audit insert
    with django_assert_max_num_queries(6):
        response = client.get("/api/v1/enrollments/")
    assert response.json()["count"] == 15


def test_status_changes_through_the_api(api, therapist, kat_template, patient):
    # given
    enrollment = enrollment_create(patient=patient, template=kat_template, by=None)
    client = api(therapist)

    # when
    no_reason = client.post(f"/api/v1/enrollments/{enrollment.pk}/pause/", {})
    paused = client.post(f"/api/v1/enrollments/{enrollment.pk}/pause/", {"reason": "Surgery"})
    again = client.post(f"/api/v1/enrollments/{enrollment.pk}/pause/", {"reason": "Surgery"})
    resumed = client.post(f"/api/v1/enrollments/{enrollment.pk}/resume/", {})

    # then
    assert (no_reason.status_code, list(no_reason.json()["errors"])) == (400, ["reason"])
    assert (paused.status_code, paused.json()["status"], paused.json()["status_reason"]) == (200, "paused", "Surgery")
    assert paused.json()["status_changed_by"] == therapist.pk
    assert (again.status_code, again.json()["type"]) == (409, "urn:kat-clinic:problem:illegal_transition")
    assert (resumed.status_code, resumed.json()["status"]) == (200, "active")


def test_progress_and_planned_sessions_through_the_api(api, scheduler, kat_template, patient):
    # given
    enrollment = enrollment_create(patient=patient, template=kat_template, by=None)
    client = api(scheduler)

    # when
    progress = client.get(f"/api/v1/enrollments/{enrollment.pk}/progress/")
    planned = client.get(f"/api/v1/enrollments/{enrollment.pk}/planned-sessions/")

    # then
    assert progress.status_code == 200
    assert progress.json()["totals"] == {"to_book": 14, "booked": 0, "completed": 0, "cancelled": 0}
    assert progress.json()["next_session"]["sequence"] == 1
    assert planned.status_code == 200
    rows = planned.json()
    assert [r["kind"] for r in rows[:4]] == ["preparation", "preparation", "dosing", "integration"]
    assert rows[3]["linked_dosing"] == rows[2]["id"]
    assert (rows[3]["window_min"], rows[3]["window_max"]) == ("1 00:00:00", "3 00:00:00")


def test_a_clinician_at_one_clinic_sees_templates_but_writes_none(api, make_staff, clinic, shipped):
    # given
    prescriber = make_staff(clinic, Role.PRESCRIBER)
    template = shipped["ketamine_assisted_therapy"]

    # when
    listed = api(prescriber).get("/api/v1/program-templates/")
    cloned = api(prescriber).post(f"/api/v1/program-templates/{template.pk}/clone/")

    # then
    assert listed.json()["count"] == 4
    assert cloned.status_code == 403
    assert ProgramTemplate.objects.count() == 4


def test_a_draft_is_deleted_but_a_template_with_enrollments_is_kept(api, admin_staff, organization):
    # given
    draft = template_create(organization=organization, by=None, **small_kat_spec())

    # when
    response = api(admin_staff).delete(f"/api/v1/program-templates/{draft.pk}/")

    # then
    assert response.status_code == 204
    assert not ProgramTemplate.objects.filter(pk=draft.pk).exists()


def test_publishing_twice_answers_409(api, admin_staff, organization):
    # given
    template = template_publish(
        template=template_create(organization=organization, by=None, **small_kat_spec()), by=None
    )

    # when
    response = api(admin_staff).post(f"/api/v1/program-templates/{template.pk}/publish/")

    # then
    assert (response.status_code, response.json()["type"]) == (409, "urn:kat-clinic:problem:template_frozen")
