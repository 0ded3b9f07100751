from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from monitoring.models import Consent, PregnancyTest, SessionAttestation
from monitoring.selectors.gate import gate_unmet
from programs.choices import Medication
from programs.models import Enrollment, PlannedSession, TemplatePrerequisite
from sessions.models import Session
from tests.programs.factories import StepFactory, TemplateFactory

pytestmark = pytest.mark.django_db


def _planned(session, organization, *kinds_and_ages):
    """Book the session for a planned dosing of a template that lists these prerequisites."""
    template = TemplateFactory(organization=organization)
    step = StepFactory(template=template, medication=Medication.KETAMINE)
    for kind, max_age_days in kinds_and_ages:
        TemplatePrerequisite.objects.create(template=template, kind=kind, max_age_days=max_age_days)
    enrollment = Enrollment.objects.create(
        patient=session.patient, template=template, clinic=session.clinic, pathway=template.pathway
    )
    planned = PlannedSession.objects.create(
        enrollment=enrollment,
        step=step,
        sequence=1,
        occurrence=1,
        kind=step.kind,
        status=PlannedSession.Status.BOOKED,
    )
    Session.objects.filter(pk=session.pk).update(planned_session=planned, enrollment=enrollment)
    session.refresh_from_db()
    return session


def test_the_template_lists_the_prerequisites_instead_of_the_defaults(ready_session, organization, nurse):
    # given: the template asks for consent and a pregnancy test only; no escort is recorded
    _planned(ready_session, organization, ("consent", None), ("pregnancy_test", 7))
    SessionAttestation.objects.update(escort_name="", fasting_confirmed=False)

    # when
    before = gate_unmet(session=ready_session)
    PregnancyTest.objects.create(
        patient=ready_session.patient,
        tested_at=timezone.now() - dt.timedelta(days=1),
        result="negative",
        recorded_by=nurse,
    )
    after = gate_unmet(session=ready_session)

    # then
    assert [i["item"] for i in before] == ["pregnancy_test"]
    assert after == []


def test_the_templates_weight_age_limit_applies(ready_session, organization):
    # given: weight 2 days old; the template wants it within a day
    _planned(ready_session, organization, ("weight_recent", 1))

    # when / then
    assert [i["item"] for i in gate_unmet(session=ready_session)] == ["weight_recent"]


def test_a_positive_pregnancy_test_blocks(ready_session, organization, nurse):
    _planned(ready_session, organization, ("pregnancy_test", 7))
    PregnancyTest.objects.create(
        patient=ready_session.patient, tested_at=timezone.now(), result="positive", recorded_by=nurse
    )
    assert [i["item"] for i in gate_unmet(session=ready_session)] == ["pregnancy_test"]


def test_given_every_kind_of_record_then_the_gate_reads_them_in_one_statement_and_judges_each(
    ready_session, organization, nurse
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from kat_clinic.models import PatientWeight
    from monitoring.models import (
        Consent,
        ContraindicationScreen,
        PatientMedication,
        PriorAuthorization,
        RemsPatientEnrollment,
    )

    # given a template asking for every record the gate reads (consent, screen and weight on file;
    # no REMS enrollment, authorization or pregnancy test), and a flagged medication
    _planned(
        ready_session,
        organization,
        ("consent", 30),
        ("contraindication_screen", 30),
        ("rems_enrollment", None),
        ("prior_authorization", None),
        ("weight_recent", 7),
        ("pregnancy_test", 7),
    )
    medication = PatientMedication.objects.create(
        patient=ready_session.patient,
        name="Lorazepam",
        concomitant_class=PatientMedication.ConcomitantClass.BENZODIAZEPINE,
        recorded_by=nurse,
    )

    # when
    with CaptureQueriesContext(connection) as queries:
        unmet = gate_unmet(session=ready_session)

    # then each missing record is named, in the template's order (by kind), then the medication
    assert [i["item"] for i in unmet] == [
        "pregnancy_test",
        "prior_authorization",
        "rems_enrollment",
        f"concomitant_medication:{medication.pk}",
    ]
    # and one statement read every kind of record
    tables = [
        model._meta.db_table
        for model in (
            Consent,
            ContraindicationScreen,
            RemsPatientEnrollment,
            PriorAuthorization,
            PatientWeight,
            PregnancyTest,
            PatientMedication,
        )
    ]
    reading = [q["sql"] for q in queries.captured_queries if any(f'"{table}"' in q["sql"] for table in tables)]
    assert len(reading) == 1
    assert all(f'"{table}"' in reading[0] for table in tables)


def test_given_a_program_session_when_its_chart_is_read_then_its_plan_is_read_with_the_session(
    api, ready_session, organization, nurse
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    # given a session booked from a template's plan: consent, a pregnancy test within 7 days and a
    # weight within a day (the weight on file is 2 days old)
    _planned(ready_session, organization, ("consent", None), ("weight_recent", 1), ("pregnancy_test", 7))
    client = api(nurse)

    # when
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/api/v1/chart/sessions/{ready_session.pk}/")

    # then the gate judges the template's prerequisites, with their ages, in the template's order
    assert response.status_code == 200
    assert [i["item"] for i in response.json()["gate"]["unmet"]] == ["pregnancy_test", "weight_recent"]
    # and the planned session, its step, enrollment, template and prerequisites come with the session
    sql = [q["sql"] for q in queries.captured_queries]
    assert not [q for q in sql if q.startswith(('SELECT "programs_plannedsession"', 'SELECT "programs_enrollment"'))]
    assert not [q for q in sql if q.startswith(('SELECT "programs_programtemplate"', 'SELECT "programs_templatestep"'))]
    assert not [q for q in sql if q.startswith('SELECT "programs_templateprerequisite"')]
    # and of the plan, the session's statement names only what the gate reads
    session_sql = next(q for q in sql if q.startswith('SELECT "clinic_sessions_session"'))
    plan_columns = re.findall(r'"(programs_\w+)"\."(\w+)"', session_sql.split(' FROM "clinic_sessions_session"')[0])
    assert sorted(set(plan_columns)) == [
        ("programs_enrollment", "id"),
        ("programs_enrollment", "template_id"),
        ("programs_plannedsession", "enrollment_id"),
        ("programs_plannedsession", "id"),
        ("programs_plannedsession", "step_id"),
        ("programs_programtemplate", "id"),
        ("programs_templatestep", "id"),
        ("programs_templatestep", "medication"),
    ]


def _reading_consents(queries) -> list[str]:
    return [q["sql"] for q in queries.captured_queries if '"monitoring_consent"' in q["sql"]]


def test_given_a_program_session_when_its_chart_is_read_then_the_gates_records_come_with_its_rows(
    api, ready_session, organization, nurse
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    # given a ketamine step asking for a consent (on file, for ketamine) and a pregnancy test (none)
    _planned(ready_session, organization, ("consent", None), ("pregnancy_test", 7))
    Consent.objects.filter(patient=ready_session.patient).update(medications=[Medication.KETAMINE])

    # when
    with CaptureQueriesContext(connection) as queries:
        response = api(nurse).get(f"/api/v1/chart/sessions/{ready_session.pk}/")

    # then the pregnancy test is missing, and the patient's records were read in the statement of
    # the session's rows (its vitals), the only one reading them
    assert [i["item"] for i in response.json()["gate"]["unmet"]] == ["pregnancy_test"]
    (reading,) = _reading_consents(queries)
    assert '"monitoring_pregnancytest"' in reading
    assert 'FROM "monitoring_vitalsign"' in reading


def test_given_a_dose_of_another_medication_when_the_chart_is_read_then_the_gate_reads_its_consent_again(
    api, ready_session, organization, nurse, prescriber
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.monitoring.factories import dose_given

    # given a ketamine step whose consent covers ketamine only, and esketamine given
    _planned(ready_session, organization, ("consent", None))
    Consent.objects.filter(patient=ready_session.patient).update(medications=[Medication.KETAMINE])
    dose_given(ready_session, nurse, prescriber, minutes_ago=5)

    # when
    with CaptureQueriesContext(connection) as queries:
        response = api(nurse).get(f"/api/v1/chart/sessions/{ready_session.pk}/")

    # then the consent is judged for esketamine (it does not cover it), as the gate judges it, by
    # a second read of the records for that medication
    assert [i["item"] for i in response.json()["gate"]["unmet"]] == ["consent"]
    assert [i["item"] for i in gate_unmet(session=ready_session)] == ["consent"]
    ahead, again = _reading_consents(queries)
    assert 'FROM "monitoring_vitalsign"' in ahead
    assert 'FROM "monitoring_vitalsign"' not in again
