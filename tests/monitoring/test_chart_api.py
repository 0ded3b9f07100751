from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from kat_clinic.api.lean import LeanRepresentationMixin
from kat_clinic.roles import Role
from monitoring.api import serializers as s
from monitoring.api.views.chart import SessionChartViewSet
from monitoring.models import AdverseEvent, DoseAdministration, SedationScore
from monitoring.selectors.querysets import CHART_ROW_KINDS
from monitoring.services.notes import note_add_addendum, note_create, note_sign
from monitoring.services.scales import scale_response_record
from monitoring.services.vitals import vitals_record
from tests.factories import PatientFactory
from tests.monitoring.factories import AttestationFactory, SessionFactory

pytestmark = pytest.mark.django_db


def _chart(session, nurse, prescriber, therapist, size: int):
    start = timezone.now() - dt.timedelta(minutes=size * 5 + 10)
    readings = [
        {
            "measured_at": start + dt.timedelta(minutes=5 * i),
            "systolic_mmhg": 125,
            "diastolic_mmhg": 80,
            "heart_rate_bpm": 75,
            "spo2_percent": 90 if i % 2 else 97,
        }
        for i in range(size)
    ]
    vitals_record(session=session, by=nurse, readings=readings)
    for i in range(size):
        DoseAdministration.objects.create(
            session=session,
            patient=session.patient,
            kind="initial" if i == 0 else "bolus",
            medication="ketamine",
            route="im",
            dose_mg=D("10.00"),
            lot_number=f"L{i}",
            lot_expires_on=dt.date(2030, 1, 1),
            ordered_by=prescriber,
            administered_by=nurse,
            started_at=start + dt.timedelta(minutes=i),
        )
        SedationScore.objects.create(
            session=session, measured_at=start + dt.timedelta(minutes=i), moaas=5, recorded_by=nurse
        )
        AdverseEvent.objects.create(
            session=session, patient=session.patient, type="nausea", severity="mild", onset_at=start, recorded_by=nurse
        )
        scale_response_record(
            patient=session.patient, session=session, scale="phq9", answers=[1] * 9, by=therapist, source="clinician"
        )
    note = note_create(session=session, author=therapist, sections={"patient_experience": "Calm"})
    note_sign(note=note, by=therapist)


def _count(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def test_the_session_chart_holds_everything_in_a_fixed_number_of_queries(
    api, nurse, prescriber, therapist, patient, django_assert_max_num_queries
):
    # given: a small and a large chart
    # (the patient's two sessions must not overlap: the database refuses double-booking a patient)
    earlier = timezone.now() - dt.timedelta(hours=3)
    small, large = SessionFactory(patient=patient), SessionFactory(patient=patient, starts_at=earlier)
    _chart(small, nurse, prescriber, therapist, size=1)
    _chart(large, nurse, prescriber, therapist, size=12)
    client = api(nurse)

    # when
    small_count = _count(client, f"/api/v1/chart/sessions/{small.pk}/")
    # (one more since discharge looks for an emergency transfer, the one early end of monitoring)
    with django_assert_max_num_queries(37):
        response = client.get(f"/api/v1/chart/sessions/{large.pk}/")

    # then
    large_count = _count(client, f"/api/v1/chart/sessions/{large.pk}/")
    assert large_count == small_count
    body = response.json()
    assert (len(body["doses"]), len(body["vitals"]), len(body["scales"])) == (12, 12, 12)
    assert body["note"]["status"] == "signed"
    assert {a["kind"] for a in body["alerts"]} >= {"spo2_low", "phq9_item9"}
    assert set(body["gate"]) == {"ready", "unmet", "overridden"}
    assert set(body["discharge"]) == {"ready", "unmet", "overridden"}


def _list_reads(queries) -> set[str]:
    """The tables of the chart's kinds of rows read, by a statement of their own or in a statement
    that reads several queries together (`read_together`)."""
    tables = {model._meta.db_table for model in CHART_ROW_KINDS.values()}
    return {
        table
        for table in tables
        for q in queries
        if q["sql"].startswith(f'SELECT "{table}".')
        or (q["sql"].startswith("SELECT json_build_array(") and f'FROM "{table}"' in q["sql"])
    }


def _one_reading(session, nurse) -> None:
    """One complete reading, five minutes ago, within every threshold (no alert)."""
    vitals_record(
        session=session,
        by=nurse,
        readings=[
            {
                "measured_at": timezone.now() - dt.timedelta(minutes=5),
                "systolic_mmhg": 120,
                "diastolic_mmhg": 80,
                "spo2_percent": 98,
            }
        ],
    )


def test_given_a_session_with_vitals_a_scale_and_a_note_when_its_chart_is_read_then_only_those_kinds_are_read(
    api, nurse, therapist, session, monkeypatch
):
    # given: one reading, one scale (no alert), a signed note; nothing else
    _one_reading(session, nurse)
    scale_response_record(
        patient=session.patient, session=session, scale="phq9", answers=[0] * 9, by=therapist, source="clinician"
    )
    note_sign(
        note=note_create(session=session, author=therapist, sections={"patient_experience": "Calm"}), by=therapist
    )
    client, url = api(nurse), f"/api/v1/chart/sessions/{session.pk}/"

    # when: read as the chart reads it, then with every kind read (DRF's own read of the session)
    with CaptureQueriesContext(connection) as queries:
        chart = client.get(url)
    with monkeypatch.context() as patched, CaptureQueriesContext(connection) as every_query:
        patched.setattr(SessionChartViewSet, "retrieve_query", None)
        every_kind = client.get(url)

    # then: the same body, with the other ten kinds not read
    assert (chart.status_code, every_kind.status_code) == (200, 200)
    assert chart.content == every_kind.content
    assert _list_reads(queries.captured_queries) == {
        "monitoring_vitalsign",
        "monitoring_scaleresponse",
        "monitoring_clinicalnote",
    }
    # and the vitals, the scale, the note and its addenda in one statement (no note read apart)
    sql = [q["sql"] for q in queries.captured_queries]
    (together,) = [q for q in sql if q.startswith("SELECT json_build_array(") and 'FROM "monitoring_vitalsign"' in q]
    assert 'FROM "monitoring_scaleresponse"' in together
    assert together.count('FROM "monitoring_clinicalnote"') == 3  # the note; its addenda, of the newest note
    assert not any(q.startswith('SELECT "monitoring_clinicalnote".') for q in sql)
    assert _list_reads(every_query.captured_queries) == {model._meta.db_table for model in CHART_ROW_KINDS.values()}
    body = chart.json()
    assert (len(body["vitals"]), len(body["scales"]), body["note"]["status"]) == (1, 1, "signed")
    assert (body["doses"], body["alerts"], body["attestation"], body["rems_form"]) == ([], [], None, None)


def _lean_then_through_drf(client, url, monkeypatch):
    """The lean answer, after checking that DRF's own path (every recipe off) answers the same bytes."""
    lean = client.get(url)
    with monkeypatch.context() as patched:
        patched.setattr(LeanRepresentationMixin, "_lean_recipe", classmethod(lambda cls: None))
        plain = client.get(url)
    assert (lean.status_code, plain.status_code) == (200, 200)
    assert lean.content == plain.content
    return lean


def test_the_session_chart_is_the_same_bytes_lean_and_through_drf(
    api, nurse, prescriber, therapist, patient, monkeypatch
):
    # given a chart with doses, vitals (and their alerts), sedation, events, scales, a signed note
    # and the attestation, with microseconds in its times
    session = SessionFactory(patient=patient)
    _chart(session, nurse, prescriber, therapist, size=3)
    AttestationFactory(
        session=session, recorded_by=nurse, last_ate_at=dt.datetime(2026, 3, 8, 7, 0, 0, 123456, tzinfo=dt.UTC)
    )
    from monitoring.models import ClinicalNote
    from monitoring.services.notes import note_add_addendum

    signed = ClinicalNote.objects.get(session=session)
    note_add_addendum(note=signed, author=therapist, body="Patient called back: slept well.")

    # when read lean, then with DRF's own path for every serializer
    lean = _lean_then_through_drf(api(nurse), f"/api/v1/chart/sessions/{session.pk}/", monkeypatch)

    # then the same bytes (above), and
    body = lean.json()
    assert (len(body["doses"]), len(body["vitals"]), len(body["sedation"]), len(body["adverse_events"])) == (3, 3, 3, 3)
    assert body["attestation"]["last_ate_at"] == "2026-03-08T07:00:00.123456Z"
    assert body["doses"][0]["dose_mg"] == "10.00"
    assert (body["note"]["etag"], body["note"]["status"]) == ('"2"', "signed")
    assert [a["body"] for a in body["note"]["addenda"]] == ["Patient called back: slept well."]


def test_the_patient_timeline_is_the_same_bytes_lean_and_through_drf(
    api, nurse, prescriber, therapist, patient, monkeypatch
):
    # given a charted session and a consent, with microseconds in their times
    from tests.monitoring.factories import ConsentFactory

    _chart(SessionFactory(patient=patient), nurse, prescriber, therapist, size=2)
    ConsentFactory(
        patient=patient, witness=nurse, recorded_by=nurse, signed_at=dt.datetime(2026, 3, 1, 9, 30, 0, 5, tzinfo=dt.UTC)
    )

    # when read lean, then with DRF's own path
    lean = _lean_then_through_drf(api(therapist), f"/api/v1/chart/patients/{patient.pk}/timeline/", monkeypatch)

    # then the same bytes (above), and
    entries = lean.json()
    assert [e["type"] for e in entries].count("consent") == 1
    assert next(e for e in entries if e["type"] == "consent")["at"] == "2026-03-01T09:30:00.000005Z"
    assert {e["session"] for e in entries if e["type"] == "consent"} == {None}


def test_the_patient_timeline_is_newest_first(api, nurse, prescriber, therapist, patient):
    # given
    session = SessionFactory(patient=patient)
    _chart(session, nurse, prescriber, therapist, size=2)

    # when
    response = api(therapist).get(f"/api/v1/chart/patients/{patient.pk}/timeline/")

    # then
    assert response.status_code == 200
    entries = response.json()
    assert {e["type"] for e in entries} == {"note", "dose", "scale", "alert", "adverse_event"}
    assert [e["at"] for e in entries] == sorted((e["at"] for e in entries), reverse=True)


def test_given_every_kind_of_record_when_the_timeline_is_read_then_one_statement_reads_them_all(
    nurse, prescriber, therapist, patient, django_assert_num_queries
):
    from monitoring.selectors.chart import patient_timeline
    from tests.monitoring.factories import ConsentFactory

    # given
    _chart(SessionFactory(patient=patient), nurse, prescriber, therapist, size=1)
    ConsentFactory(patient=patient, witness=nurse, recorded_by=nurse)

    # when
    with django_assert_num_queries(1):
        timeline = patient_timeline(patient=patient)

    # then
    assert {e["type"] for e in timeline} == {"note", "dose", "scale", "alert", "adverse_event", "consent"}


def test_each_timeline_entry_says_what_the_record_says(nurse, prescriber, therapist, patient):
    from monitoring.models import Alert, ClinicalNote, Consent, ScaleResponse
    from monitoring.selectors.chart import patient_timeline
    from tests.monitoring.factories import ConsentFactory

    # given a charted session (doses, scales, alerts, adverse events, a signed note and its signed
    # addendum) and a consent
    session = SessionFactory(patient=patient)
    _chart(session, nurse, prescriber, therapist, size=2)
    original = ClinicalNote.objects.get(session=session)
    addendum = note_add_addendum(note=original, author=therapist, body="Called the next day: sleeping well.")
    if addendum.status != "signed":
        note_sign(note=addendum, by=therapist)
    ConsentFactory(patient=patient, witness=nurse, recorded_by=nurse)

    # when
    timeline = patient_timeline(patient=patient)

    # then every record is there once, worded from the record itself, newest first
    expected = [
        *(
            (
                n.signed_at,
                "note",
                n.pk,
                n.session_id,
                "Addendum signed" if n.amends_id else f"{n.get_kind_display()} note signed",
            )
            for n in ClinicalNote.objects.filter(patient=patient)
        ),
        *(
            (
                d.started_at,
                "dose",
                d.pk,
                d.session_id,
                f"{d.get_medication_display()} {d.dose_mg} mg {d.get_route_display()}",
            )
            for d in DoseAdministration.objects.filter(patient=patient)
        ),
        *(
            (r.completed_at, "scale", r.pk, r.session_id, f"{r.get_scale_display()} {r.total} ({r.severity})")
            for r in ScaleResponse.objects.filter(patient=patient)
        ),
        *((a.raised_at, "alert", a.pk, a.session_id, a.message) for a in Alert.objects.filter(patient=patient)),
        *(
            (e.onset_at, "adverse_event", e.pk, e.session_id, f"{e.get_type_display()} ({e.severity})")
            for e in AdverseEvent.objects.filter(patient=patient)
        ),
        *(
            (c.signed_at, "consent", c.pk, None, f"Consent {c.document_version}")
            for c in Consent.objects.filter(patient=patient)
        ),
    ]
    expected.sort(key=lambda e: (e[0], e[2]), reverse=True)
    assert [(e["at"], e["type"], e["id"], e["session"], e["summary"]) for e in timeline] == expected
    assert {e["type"] for e in timeline} == {"note", "dose", "scale", "alert", "adverse_event", "consent"}
    assert [e["summary"] for e in timeline if e["type"] == "note"].count("Addendum signed") == 1
    assert next(e["summary"] for e in timeline if e["type"] == "dose") == "Ketamine (racemic) 10.00 mg Intramuscular"


def test_another_clinics_session_chart_and_timeline_answer_404(api, nurse, other_clinic):
    theirs = SessionFactory(patient=PatientFactory(home_clinic=other_clinic))
    client = api(nurse)
    assert client.get(f"/api/v1/chart/sessions/{theirs.pk}/").status_code == 404
    assert client.get(f"/api/v1/chart/patients/{theirs.patient_id}/timeline/").status_code == 404


def test_a_body_cannot_point_at_another_clinics_session(api, nurse, other_clinic):
    theirs = SessionFactory(patient=PatientFactory(home_clinic=other_clinic))
    response = api(nurse).post(
        "/api/v1/chart/vitals/", {"session": theirs.pk, "measured_at": timezone.now().isoformat(), "spo2_percent": 97}
    )
    assert response.status_code == 400
    assert "session" in response.json()["errors"]


def _chart_routes() -> list[tuple[str, bool, str]]:
    """(url name, takes a pk, http method) for every charting route."""
    from monitoring.api.urls import urlpatterns

    found = set()
    for pattern in urlpatterns:
        actions = getattr(pattern.callback, "actions", None) or {}
        takes_pk = "pk" in pattern.pattern.regex.groupindex
        for method in actions:
            found.add((pattern.name, takes_pk, method))
    return sorted(found)


CHART_ROUTES = _chart_routes()
# The one charting route the front desk uses: confirming the ride home and its escort (no clinical field).
FRONT_DESK_ROUTES = {"chart-ride-confirmation-list"}


def test_the_chart_routes_are_found():
    assert len(CHART_ROUTES) > 40


CLINICAL_ROUTES = [r for r in CHART_ROUTES if r[0] not in FRONT_DESK_ROUTES]


@pytest.mark.parametrize(
    ("name", "takes_pk", "method"), CLINICAL_ROUTES, ids=[f"{m} {n}" for n, _, m in CLINICAL_ROUTES]
)
def test_the_scheduler_gets_403_on_every_clinical_endpoint_and_no_data(
    api, scheduler, nurse, session, name, takes_pk, method
):
    # given: something to find, if the scheduler could
    note = note_create(session=session, author=nurse, sections={})
    path = reverse(name, kwargs={"pk": note.pk} if takes_pk else {})

    # when
    response = getattr(api(scheduler), method)(path, {})

    # then
    assert response.status_code == 403, path
    body = response.json()
    assert set(body) == {"type", "title", "status", "detail", "instance", "errors"}
    assert (body["type"], body["status"], body["instance"], body["errors"]) == (
        "urn:kat-clinic:problem:permission_denied",
        403,
        path,
        {},
    )


@pytest.mark.parametrize("role", [Role.ADMIN])
def test_admins_read_no_chart(api, make_staff, clinic, session, role):
    staff = make_staff(clinic, role)
    assert api(staff).get(f"/api/v1/chart/sessions/{session.pk}/").status_code == 403


def test_the_timeline_query_count_does_not_grow_with_the_record(
    api, nurse, prescriber, therapist, patient, django_assert_max_num_queries
):
    # given
    _chart(SessionFactory(patient=patient), nurse, prescriber, therapist, size=1)
    client = api(therapist)
    small = _count(client, f"/api/v1/chart/patients/{patient.pk}/timeline/")
    earlier = timezone.now() - dt.timedelta(hours=3)
    _chart(SessionFactory(patient=patient, starts_at=earlier), nurse, prescriber, therapist, size=10)

    # when / then
    with django_assert_max_num_queries(small):
        response = client.get(f"/api/v1/chart/patients/{patient.pk}/timeline/")
    assert len([e for e in response.json() if e["type"] == "dose"]) == 11


def test_given_a_chart_with_only_vitals_then_its_empty_parts_make_no_serializer_and_the_bytes_are_drfs(
    api, nurse, session, monkeypatch
):
    # given one reading and nothing else charted
    _one_reading(session, nurse)
    # (a first read, so that each serializer's recipe is built: built once per process, not counted)
    assert api(nurse).get(f"/api/v1/chart/sessions/{session.pk}/").status_code == 200
    made: list[str] = []
    for serializer in (s.VitalSignSerializer, s.DissociationScoreSerializer, s.AdverseEventSerializer):
        original = serializer.__init__

        def counting(self, *args, _original=original, **kwargs):
            made.append(type(self).__name__)
            _original(self, *args, **kwargs)

        monkeypatch.setattr(serializer, "__init__", counting)

    # when its chart is read the lean way, then checked against DRF's own path
    response = api(nurse).get(f"/api/v1/chart/sessions/{session.pk}/")
    lean_made = list(made)
    _lean_then_through_drf(api(nurse), f"/api/v1/chart/sessions/{session.pk}/", monkeypatch)

    # then the vitals' serializer was made, those of the empty parts were not, and both paths agree
    assert response.status_code == 200
    body = response.json()
    assert (len(body["vitals"]), body["dissociation"], body["adverse_events"]) == (1, [], [])
    assert lean_made == ["VitalSignSerializer"]
