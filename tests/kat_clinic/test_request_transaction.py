"""Plain reads run without the request transaction; writes and every other action keep it; all are audited."""

from __future__ import annotations

import pytest
from django.db import connection

from kat_clinic.models import AuditEvent, Patient

# The suite's tests run inside a transaction of their own: these need real commits to tell.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def seen():
    """Whether the connection was in a transaction when each statement reading patients ran."""
    states: list[bool] = []

    def record(execute, sql, params, many, context):
        if 'FROM "kat_clinic_patient"' in sql:
            states.append(connection.in_atomic_block)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        yield states


def test_a_list_and_a_read_run_outside_a_transaction_and_are_audited(api, scheduler, patient, seen):
    # when the scheduler lists patients and reads one
    client = api(scheduler)
    listed = client.get("/api/v1/patients/")
    read = client.get(f"/api/v1/patients/{patient.pk}/")

    # then neither ran in a transaction, and each left its audit row
    assert (listed.status_code, read.status_code) == (200, 200)
    assert seen == [False, False]
    assert list(AuditEvent.objects.order_by("id").values_list("action", "outcome")) == [
        ("list", "success"),
        ("retrieve", "success"),
    ]


def test_a_write_runs_in_the_transaction_and_a_failed_one_leaves_nothing_but_its_audit_row(api, nurse, patient, seen):
    # when a nurse changes the patient with an invalid home clinic (a refusal after the read)
    response = api(nurse).patch(f"/api/v1/patients/{patient.pk}/", {"home_clinic": 999999}, format="json")

    # then the update read its patient inside the request transaction, changed nothing, and was audited
    assert response.status_code == 400
    assert seen == [True]
    assert Patient.objects.get(pk=patient.pk).home_clinic_id == patient.home_clinic_id
    assert list(AuditEvent.objects.values_list("action", "outcome")) == [("partial_update", "rejected")]


def test_a_get_action_not_named_as_a_plain_read_keeps_the_transaction(api, nurse, patient, seen):
    # when a nurse reads a patient's weights (an action the view does not name)
    response = api(nurse).get(f"/api/v1/patients/{patient.pk}/weights/")

    # then it ran in the transaction
    assert response.status_code == 200
    assert seen == [True]


def test_only_listed_reads_skip_the_transaction():
    from django.db import DEFAULT_DB_ALIAS
    from django.test import RequestFactory
    from rest_framework.views import APIView

    from kat_clinic.api.transactions import atomic_except_reads

    class Reads(APIView):
        reads_outside_transaction = frozenset({"get"})

    class Plain(APIView):
        pass

    states = []

    def record(request):
        states.append(connection.in_atomic_block)

    record.cls = Reads
    wrapped = atomic_except_reads(record)
    for method in ("get", "head", "post", "delete"):
        wrapped(getattr(RequestFactory(), method)("/x/"))

    assert states == [False, False, True, True]
    assert wrapped._non_atomic_requests == {DEFAULT_DB_ALIAS}

    # a view that lists no reads runs every method in the transaction opened here
    record.cls = Plain
    plain = atomic_except_reads(record)
    for method in ("get", "post"):
        plain(getattr(RequestFactory(), method)("/x/"))
    assert states[4:] == [True, True]
    assert plain._non_atomic_requests == {DEFAULT_DB_ALIAS}

    # a view naming its POST as only reading (a search) runs that POST, and nothing else, outside it
    class Search(APIView):
        posts_that_only_read = frozenset({"post"})

    record.cls = Search
    search = atomic_except_reads(record)
    for method in ("post", "get", "put", "delete"):
        search(getattr(RequestFactory(), method)("/x/"))
    assert states[6:] == [False, True, True, True]

    # a view marked non-atomic (login) is left as it is
    login = lambda request: None  # noqa: E731
    login.cls = Plain
    login._non_atomic_requests = {DEFAULT_DB_ALIAS}
    assert atomic_except_reads(login) is login


def test_a_read_the_database_refuses_outside_a_transaction_is_a_400_and_still_audited(api, admin_staff):
    # when a list's filter holds an offset PostgreSQL refuses (the statement fails in autocommit)
    response = api(admin_staff).get("/api/v1/audit-events/", {"since": "2031-09-11T08:26:15-17:04"})

    # then the answer is the problem, and its audit row was written after the failed statement
    assert response.status_code == 400
    assert list(AuditEvent.objects.values_list("resource_type", "outcome", "status_code")) == [
        ("audit_event", "rejected", 400)
    ]
