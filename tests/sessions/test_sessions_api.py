from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from kat_clinic.api.renderers import OrjsonRenderer
from kat_clinic.audit.models import AuditEvent
from kat_clinic.roles import Role
from sessions.api.serializers import OptionSerializer
from sessions.models import Session, StaffAssignment
from tests.factories import PatientFactory, RoomFactory
from tests.sessions.conftest import MONDAY, NURSE_SHARED, at, nurse_block_search, planned, works_every_day

pytestmark = pytest.mark.django_db


def body(clinic, patient, room, nurse, hour=9, **extra):
    return {
        "clinic": clinic.pk,
        "patient": patient.pk,
        "kind": "dosing",
        "starts_at": at(clinic, MONDAY, hour).isoformat(),
        "session_minutes": 40,
        "block_minutes": 100,
        "room": room.pk,
        "staff": [{"staff": nurse.pk, "role": "nurse", "mode": "shared"}],
        **extra,
    }


def test_scheduler_books_an_adhoc_session_and_cannot_set_its_status(
    api, scheduler, clinic, patient, chair, working_nurse
):
    # when
    response = api(scheduler).post("/api/v1/sessions/", body(clinic, patient, chair, working_nurse, status="completed"))

    # then
    assert response.status_code == 201, response.json()
    data = response.json()
    assert (data["status"], data["booked_by"], data["room"]) == ("scheduled", scheduler.pk, chair.pk)
    assert [(a["staff"], a["role"], a["mode"], a["lane"]) for a in data["assignments"]] == [
        (working_nurse.pk, "nurse", "shared", 1)
    ]


def test_overlap_answers_409_listing_the_clash(api, scheduler, clinic, chair, working_nurse):
    # given
    first = api(scheduler).post(
        "/api/v1/sessions/", body(clinic, PatientFactory(home_clinic=clinic), chair, working_nurse)
    )

    # when
    response = api(scheduler).post(
        "/api/v1/sessions/", body(clinic, PatientFactory(home_clinic=clinic), chair, working_nurse, hour=10)
    )

    # then
    assert response.status_code == 409
    data = response.json()
    assert data["type"] == "urn:kat-clinic:problem:overlap"
    assert [(c["resource"], c["session"]) for c in data["conflicts"]] == [("room", first.json()["id"])]


def test_overlap_seen_only_by_the_database_still_answers_409(api, scheduler, clinic, chair, working_nurse, settings):
    # given
    settings.SCHEDULING_PYTHON_CONFLICT_CHECK = False
    api(scheduler).post("/api/v1/sessions/", body(clinic, PatientFactory(home_clinic=clinic), chair, working_nurse))

    # when
    response = api(scheduler).post(
        "/api/v1/sessions/", body(clinic, PatientFactory(home_clinic=clinic), chair, working_nurse, hour=10)
    )

    # then
    assert response.status_code == 409
    assert response.json()["sqlstate"] == "23P01"
    assert response.json()["conflicts"] == [{"resource": "room", "constraint": "session_no_room_overlap"}]
    assert Session.objects.count() == 1


def test_rule_refusal_answers_422_naming_the_rule(api, scheduler, clinic, patient, chair, working_nurse):
    # when: 20:00 is outside the nurse's hours
    response = api(scheduler).post("/api/v1/sessions/", body(clinic, patient, chair, working_nurse, hour=20))

    # then
    assert response.status_code == 422
    assert response.json()["type"] == "urn:kat-clinic:problem:staff_unavailable"
    assert Session.objects.count() == 0


def test_booking_with_another_clinics_room_is_refused(api, scheduler, clinic, other_clinic, patient, working_nurse):
    # given: the scheduler works only at `clinic`
    theirs = RoomFactory(clinic=other_clinic)

    # when
    response = api(scheduler).post("/api/v1/sessions/", body(clinic, patient, theirs, working_nurse))

    # then
    assert response.status_code == 400
    assert "room" in response.json()["errors"]
    assert Session.objects.count() == 0


def test_booking_mixing_two_of_my_clinics_is_refused(api, clinic, other_clinic, patient, working_nurse, make_staff):
    # given: a scheduler at both clinics names the other clinic's room
    both = make_staff(clinic, Role.SCHEDULER)
    from kat_clinic.models import ClinicMembership

    ClinicMembership.objects.create(staff=both, clinic=other_clinic, role=Role.SCHEDULER)
    theirs = RoomFactory(clinic=other_clinic)

    # when
    response = api(both).post("/api/v1/sessions/", body(clinic, patient, theirs, working_nurse))

    # then
    assert response.status_code == 422
    assert response.json()["type"] == "urn:kat-clinic:problem:room_not_in_clinic"


def test_another_clinics_session_is_404_for_reading_and_for_actions(api, scheduler, other_clinic, make_staff):
    # given
    nurse = works_every_day(make_staff(other_clinic, Role.NURSE), other_clinic)
    from sessions import services

    theirs = services.session_book(
        clinic=other_clinic,
        patient=PatientFactory(home_clinic=other_clinic),
        shape=NURSE_SHARED,
        starts_at=at(other_clinic, MONDAY, 9),
        room=RoomFactory(clinic=other_clinic),
        staff=[nurse],
        by=None,
    )
    client = api(scheduler)

    # when / then
    assert client.get(f"/api/v1/sessions/{theirs.pk}/").status_code == 404
    assert client.post(f"/api/v1/sessions/{theirs.pk}/cancel/", {"reason": "x"}).status_code == 404
    assert client.get("/api/v1/sessions/").json()["count"] == 0
    assert Session.objects.get(pk=theirs.pk).status == "scheduled"


def test_front_desk_checks_in_and_the_nurse_starts_and_completes(
    api, scheduler, nurse, clinic, patient, chair, working_nurse
):
    # given
    session_id = api(scheduler).post("/api/v1/sessions/", body(clinic, patient, chair, working_nurse)).json()["id"]

    # when: the patient arrives a quarter of an hour before the booked start
    with time_machine.travel(at(clinic, MONDAY, 9) - dt.timedelta(minutes=15), tick=False):
        checked_in = api(scheduler).post(f"/api/v1/sessions/{session_id}/check-in/")
        refused = api(scheduler).post(f"/api/v1/sessions/{session_id}/start/")
        started = api(nurse).post(f"/api/v1/sessions/{session_id}/start/")
        completed = api(nurse).post(f"/api/v1/sessions/{session_id}/complete/")

    # then
    assert (checked_in.status_code, checked_in.json()["status"]) == (200, "checked_in")
    assert refused.status_code == 403
    assert (started.status_code, completed.status_code, completed.json()["status"]) == (200, 200, "completed")


def test_illegal_transition_answers_409(api, nurse, scheduler, clinic, patient, chair, working_nurse):
    # given
    session_id = api(scheduler).post("/api/v1/sessions/", body(clinic, patient, chair, working_nurse)).json()["id"]

    # when
    response = api(nurse).post(f"/api/v1/sessions/{session_id}/complete/")

    # then
    assert response.status_code == 409
    assert response.json()["type"] == "urn:kat-clinic:problem:illegal_transition"


def test_cancel_needs_a_reason_and_frees_the_chair(api, scheduler, clinic, patient, chair, working_nurse):
    # given
    session_id = api(scheduler).post("/api/v1/sessions/", body(clinic, patient, chair, working_nurse)).json()["id"]

    # when
    without = api(scheduler).post(f"/api/v1/sessions/{session_id}/cancel/", {})
    cancelled = api(scheduler).post(f"/api/v1/sessions/{session_id}/cancel/", {"reason": "flu"})

    # then
    assert without.status_code == 400
    assert cancelled.status_code == 200
    assert (cancelled.json()["status"], cancelled.json()["cancellation_reason"]) == ("cancelled", "flu")
    assert not StaffAssignment.objects.filter(active=True).exists()


def test_reschedule_endpoint_moves_the_session(api, scheduler, clinic, patient, chair, working_nurse):
    # given
    session_id = api(scheduler).post("/api/v1/sessions/", body(clinic, patient, chair, working_nurse)).json()["id"]

    # when
    response = api(scheduler).post(
        f"/api/v1/sessions/{session_id}/reschedule/", {"starts_at": at(clinic, MONDAY, 13).isoformat()}
    )

    # then
    assert response.status_code == 201
    assert response.json()["rescheduled_from"] == session_id
    assert Session.objects.get(pk=session_id).status == "cancelled"


def test_admin_role_cannot_read_the_schedule(api, admin_staff):
    assert api(admin_staff).get("/api/v1/sessions/").status_code == 403


def test_session_list_query_count_is_fixed(api, scheduler, clinic, working_nurse, django_assert_max_num_queries):
    # given
    from sessions import services

    for i in range(12):
        # Three shared lanes per nurse: a new block every 100 minutes for each group of three.
        services.session_book(
            clinic=clinic,
            patient=PatientFactory(home_clinic=clinic),
            shape=NURSE_SHARED,
            starts_at=at(clinic, MONDAY, 8) + dt.timedelta(minutes=100 * (i // 3)),
            room=RoomFactory(clinic=clinic),
            staff=[working_nurse],
            by=None,
        )
    client = api(scheduler)

    # when / then: roles, the page with its count and each session's assignments, audit (and the
    # test transaction's savepoint pair); the clinic is the caller's, so the filter does not read it
    with django_assert_max_num_queries(5):
        response = client.get(f"/api/v1/sessions/?clinic={clinic.pk}&status=scheduled")
    body = response.json()
    assert body["count"] == 12
    assert {a["staff_name"] for s in body["results"] for a in s["assignments"]} == {str(working_nurse)}
    assert sorted(a["lane"] for s in body["results"] for a in s["assignments"]) == [1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3]


def test_sessions_filter_by_staff(api, scheduler, clinic, patient, chair, working_nurse, book):
    # given
    book(patient, at(clinic, MONDAY, 9), chair, [working_nurse], shape=NURSE_SHARED)

    # when
    mine = api(scheduler).get(f"/api/v1/sessions/?staff={working_nurse.pk}").json()
    none = api(scheduler).get(f"/api/v1/sessions/?staff={scheduler.pk}").json()

    # then
    assert (mine["count"], none["count"]) == (1, 0)


# --- day board -------------------------------------------------------------------------------------


def make_day(clinic, n, nurse):
    from sessions import services

    rooms = [RoomFactory(clinic=clinic) for _ in range(n)]
    for i, room in enumerate(rooms):
        services.session_book(
            clinic=clinic,
            patient=PatientFactory(home_clinic=clinic),
            shape=NURSE_SHARED,
            starts_at=at(clinic, MONDAY, 8) + dt.timedelta(minutes=100 * (i // 3)),
            room=room,
            staff=[nurse],
            by=None,
        )


@pytest.mark.parametrize("size", [3, 15])
def test_day_board_query_count_does_not_depend_on_the_days_size(
    api, scheduler, clinic, working_nurse, size, django_assert_max_num_queries
):
    # given
    make_day(clinic, size, working_nurse)
    client = api(scheduler)

    # when / then: roles, the clinic with its rooms, sessions with their staff, charting's flags,
    # audit (and a savepoint pair)
    with django_assert_max_num_queries(7):
        response = client.get(f"/api/v1/scheduling/day-board/?clinic={clinic.pk}&date={MONDAY.isoformat()}")
    assert response.status_code == 200
    assert len(response.json()["sessions"]) == size


def test_given_a_day_with_two_sessions_of_one_patient_when_the_board_is_read_then_its_audit_row_names_each_once(
    api, scheduler, clinic, patient, chair, working_nurse, book
):
    # given two sessions of one patient and one of another
    first = book(patient, at(clinic, MONDAY, 9), chair, [working_nurse], shape=NURSE_SHARED)
    second = book(patient, at(clinic, MONDAY, 14), chair, [working_nurse], shape=NURSE_SHARED)
    other = book(PatientFactory(home_clinic=clinic), at(clinic, MONDAY, 11), chair, [working_nurse], shape=NURSE_SHARED)

    # when
    response = api(scheduler).get(f"/api/v1/scheduling/day-board/?clinic={clinic.pk}&date={MONDAY.isoformat()}")

    # then the sessions in the board's order, each patient once, the clinic
    assert response.status_code == 200
    event = AuditEvent.objects.get(resource_type="day_board")
    assert event.resource_ids == [first.pk, other.pk, second.pk]
    assert event.patient_ids == [patient.pk, other.patient_id]
    assert event.clinic_id == clinic.pk


def test_day_board_groups_by_room_and_staff_with_flags(api, scheduler, clinic, patient, chair, working_nurse, book):
    # given
    session = book(patient, at(clinic, MONDAY, 9), chair, [working_nurse], shape=NURSE_SHARED)

    # when
    data = api(scheduler).get(f"/api/v1/scheduling/day-board/?clinic={clinic.pk}&date={MONDAY.isoformat()}").json()

    # then
    (item,) = data["sessions"]
    assert item["patient"] == {"id": patient.pk, "name": f"{patient.first_name} {patient.last_name}"}
    assert (item["kind"], item["status"]) == ("dosing", "scheduled")
    # (no consent, screen or escort on file for this dosing session)
    assert item["flags"] == {
        "late": False,
        "late_cancel": False,
        "prerequisite_missing": True,
        "ride_not_confirmed": True,
    }
    assert item["authorization"] == "not_required"
    assert data["by_room"] == [{"room": chair.pk, "name": "Chair 1", "sessions": [session.pk]}]
    assert data["by_staff"] == [{"staff": working_nurse.pk, "name": str(working_nurse), "sessions": [session.pk]}]


def test_day_board_of_another_clinic_is_404(api, scheduler, other_clinic):
    response = api(scheduler).get(f"/api/v1/scheduling/day-board/?clinic={other_clinic.pk}&date={MONDAY.isoformat()}")
    assert response.status_code == 404


# --- search and whole-program booking ---------------------------------------------------------------


def test_search_endpoint_returns_ranked_options(api, scheduler, clinic, patient, chair, working_nurse):
    # when
    response = api(scheduler).post(
        "/api/v1/scheduling/search/",
        nurse_block_search(clinic.pk, patient.pk, preferences={"earliest": "13:00"}, limit=2),
    )

    # then
    assert response.status_code == 200, response.json()
    assert [o["starts_at"] for o in response.json()] == ["2027-06-07T13:00:00-04:00", "2027-06-07T13:15:00-04:00"]


def test_search_endpoint_writes_exactly_what_the_option_serializer_documents(
    api, scheduler, clinic, patient, chair, working_nurse
):
    # when: options of different scores (only some match the preferred time)
    response = api(scheduler).post(
        "/api/v1/scheduling/search/",
        nurse_block_search(clinic.pk, patient.pk, preferences={"earliest": "16:00"}, limit=3),
    )

    # then: the same bytes as the serializer of the schema writes of them
    assert response.status_code == 200, response.json()
    options = response.json()
    assert [(o["starts_at"], o["score"]) for o in options] == [
        ("2027-06-07T16:00:00-04:00", 1),
        ("2027-06-07T16:15:00-04:00", 1),
        ("2027-06-07T08:00:00-04:00", 0),
    ]
    assert options[0] == {
        "starts_at": "2027-06-07T16:00:00-04:00",
        "ends_at": "2027-06-07T16:40:00-04:00",
        "block_ends_at": "2027-06-07T17:40:00-04:00",
        "room": chair.pk,
        "telehealth": False,
        "staff": [{"role": "nurse", "mode": "shared", "staff": working_nurse.pk}],
        "score": 1,
    }
    assert response.content == OrjsonRenderer().render(OptionSerializer(options, many=True).data)


def test_program_booking_endpoint_previews_then_books(api, scheduler, kat_enrollment):
    # when
    preview = api(scheduler).post(
        "/api/v1/scheduling/program-booking/",
        {"enrollment": kat_enrollment.pk, "date_from": MONDAY.isoformat(), "preview": True},
    )
    booked = api(scheduler).post(
        "/api/v1/scheduling/program-booking/", {"enrollment": kat_enrollment.pk, "date_from": MONDAY.isoformat()}
    )

    # then
    assert preview.status_code == 200, preview.json()
    assert (len(preview.json()["proposal"]), preview.json()["sessions"]) == (14, [])
    assert booked.status_code == 200
    assert len(booked.json()["sessions"]) == 14
    assert booked.json()["proposal"] == preview.json()["proposal"]


def test_book_planned_endpoint_takes_staff_by_role(api, scheduler, kat_enrollment, kat_clinic_setup, clinic):
    # when
    response = api(scheduler).post(
        "/api/v1/sessions/book-planned/",
        {
            "planned_session": planned(kat_enrollment, 1).pk,
            "starts_at": at(clinic, MONDAY, 9).isoformat(),
            "room": kat_clinic_setup["consult"][0].pk,
            "staff": [{"role": "therapist", "staff": kat_clinic_setup["therapist"].pk}],
        },
    )

    # then
    assert response.status_code == 201, response.json()
    assert response.json()["planned_session"] == planned(kat_enrollment, 1).pk


def test_book_planned_endpoint_names_a_missing_role(api, scheduler, kat_enrollment, kat_clinic_setup, clinic):
    # when
    response = api(scheduler).post(
        "/api/v1/sessions/book-planned/",
        {
            "planned_session": planned(kat_enrollment, 1).pk,
            "starts_at": at(clinic, MONDAY, 9).isoformat(),
            "room": kat_clinic_setup["consult"][0].pk,
            "staff": [],
        },
    )

    # then
    assert response.status_code == 422
    assert response.json()["errors"] == {"staff": ["No staff member is given for the therapist role."]}


def test_a_cancellation_keeps_the_previous_row_and_who_cancelled(api, scheduler, clinic, patient, chair, working_nurse):
    # given
    session_id = api(scheduler).post("/api/v1/sessions/", body(clinic, patient, chair, working_nurse)).json()["id"]

    # when
    api(scheduler).post(f"/api/v1/sessions/{session_id}/cancel/", {"reason": "flu"})

    # then
    events = list(Session.pgh_event_model.objects.filter(pgh_obj_id=session_id).order_by("pgh_id"))
    assert [(e.pgh_label, e.status) for e in events] == [("insert", "scheduled"), ("update", "cancelled")]
    assert events[1].pgh_context.metadata["user"] == scheduler.user_id


def test_moving_a_dosing_past_its_integration_answers_422_with_a_joint_proposal(
    api, scheduler, kat_enrollment, kat_clinic_setup, clinic
):
    # given: preparations Saturday and Sunday, dosing Tuesday 09:00-12:00, its integration Wednesday 14:00
    from sessions import services

    setup = kat_clinic_setup
    for seq, days_before in ((1, 2), (2, 1)):
        services.session_book_planned(
            planned_session=planned(kat_enrollment, seq),
            starts_at=at(clinic, MONDAY - dt.timedelta(days=days_before), 9),
            room=setup["consult"][0],
            staff=[setup["therapist"]],
            by=None,
        )
    dosing = services.session_book_planned(
        planned_session=planned(kat_enrollment, 3),
        starts_at=at(clinic, MONDAY + dt.timedelta(days=1), 9),
        room=setup["treatment"][0],
        staff=[setup["nurse"], setup["prescriber"], setup["therapist"]],
        by=None,
    )
    integration = services.session_book_planned(
        planned_session=planned(kat_enrollment, 4),
        starts_at=at(clinic, MONDAY + dt.timedelta(days=2), 14),
        room=setup["consult"][0],
        staff=[setup["therapist"]],
        by=None,
    )

    # when: the dosing moves to Thursday, after its integration
    response = api(scheduler).post(
        f"/api/v1/sessions/{dosing.pk}/reschedule/",
        {"starts_at": at(clinic, MONDAY + dt.timedelta(days=3), 9).isoformat()},
    )

    # then
    assert response.status_code == 422
    data = response.json()
    assert data["type"] == "urn:kat-clinic:problem:integration_window"
    assert [m["session"] for m in data["proposal"]] == [dosing.pk, integration.pk]
    assert Session.objects.get(pk=dosing.pk).status == "scheduled"

    # when: the proposal is sent back as a joint move
    moves = [
        {
            "session": m["session"],
            "starts_at": m["starts_at"],
            "room": m["room"],
            "telehealth": m["telehealth"],
            "staff": [{"role": x["role"], "staff": x["staff"]} for x in m["staff"]],
        }
        for m in data["proposal"]
    ]
    moved = api(scheduler).post("/api/v1/sessions/reschedule-together/", {"moves": moves})

    # then
    assert moved.status_code == 201, moved.json()
    assert [s["rescheduled_from"] for s in moved.json()] == [dosing.pk, integration.pk]
    assert Session.objects.filter(active=True).count() == 4
