"""A session's chart reads of its patient and clinic only what it uses: the patient's date of birth
and the clinic's zone, never the patient's name or contact details, and nothing of either later."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

pytestmark = pytest.mark.django_db

PATIENT = '"kat_clinic_patient"'
CLINIC = '"kat_clinic_clinic"'


def _columns(sql: str, table: str) -> set[str]:
    return set(re.findall(re.escape(table) + r'\."(\w+)"', sql))


@pytest.mark.parametrize("path", ["", "gate/", "discharge/"])
def test_given_a_readied_session_when_its_chart_is_read_then_only_the_patients_birth_date_and_clinics_zone_are(
    api, nurse, ready_session, path
):
    # given a session past its pre-dose checks (the gate judges the clinic's local day)
    url = f"/api/v1/chart/sessions/{ready_session.pk}/{path}"

    # when
    with CaptureQueriesContext(connection) as queries:
        response = api(nurse).get(url)

    # then the answer, and of the patient's and clinic's tables exactly these columns, read once
    assert response.status_code == 200
    reading_people = [q["sql"] for q in queries if PATIENT in q["sql"] or CLINIC in q["sql"]]
    session_read = [sql for sql in reading_people if 'FROM "clinic_sessions_session"' in sql]
    assert len(session_read) == 1
    assert _columns(session_read[0], PATIENT) == {"id", "date_of_birth"}
    assert _columns(session_read[0], CLINIC) == {"id", "timezone"}
    # (and no later statement reads a row of either, as a deferred column read when used would)
    others = [sql for sql in reading_people if sql not in session_read]
    selected = [sql.split(" FROM ")[0] for sql in others]
    assert [(_columns(sql, PATIENT) | _columns(sql, CLINIC)) - {"id"} for sql in selected] == [set() for _ in others]
    assert not any(
        _columns(sql, PATIENT) & {"first_name", "last_name", "phone", "email", "address"} for sql in reading_people
    )
    if not path:
        assert (response.json()["session"]["id"], response.json()["session"]["patient"]) == (
            ready_session.pk,
            ready_session.patient_id,
        )
