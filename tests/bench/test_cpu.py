"""bench.cpu sends each scenario through the WSGI handler and reports CPU and queries per request."""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager

import pytest
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from knox.models import AuthToken

from bench import cpu
from kat_clinic.models import AuditEvent
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db


@contextmanager
def _connection_kept_across_requests():
    # As Django's test client does: the test's transaction must outlive each request.
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    try:
        yield
    finally:
        for signal in (request_started, request_finished):
            signal.connect(close_old_connections)


def test_each_scenario_reports_cpu_and_queries_per_request_next_to_livez(clinic, scheduler):
    # given two patients at the clinic and a scheduler's token
    patients = [PatientFactory(home_clinic=clinic, last_name=name) for name in ("Abbott", "Baker")]
    _, token = AuthToken.objects.create(user=scheduler.user)
    ctx = {
        "clinic_id": clinic.pk,
        "anchor": dt.date(2026, 1, 5).isoformat(),
        "patients": [p.pk for p in patients],
        "usernames": {"scheduler": scheduler.user.username},
        "paths": {},
    }

    # when three requests of each run, after one warm-up request
    with _connection_kept_across_requests():
        results = cpu.run(ctx, 3, only={"patient list", "patient detail"}, tokens={"scheduler": token}, warmup=1)

    # then livez and the two reads are measured, each request answered and counted
    by_name = {r.name: r for r in results}
    assert list(by_name) == ["livez", "patient list", "patient detail"]
    assert [r.status for r in results] == [200, 200, 200]
    assert all(len(r.cpu_ms) == 3 and len(r.queries) == 3 for r in results)
    assert by_name["livez"].queries_per_request == 0
    assert by_name["patient list"].queries_per_request > 0
    assert by_name["patient detail"].queries_per_request > 0
    # every API request left its audit row (1 + 3 lists, 1 + 3 reads of a patient)
    assert AuditEvent.objects.filter(resource_type="patient", status_code=200).count() == 8
    summary = cpu.summary(results)
    assert summary["livez"]["ratio_to_livez"] == 1.0
    assert summary["patient list"]["queries_per_request"] == by_name["patient list"].queries_per_request
    assert "patient detail" in cpu.table(results)


def test_a_request_is_sent_as_a_server_would_with_its_body_and_token(clinic, scheduler):
    # given a token
    _, token = AuthToken.objects.create(user=scheduler.user)
    from django.core.handlers.wsgi import WSGIHandler

    # when /me/ is asked with and without it
    with _connection_kept_across_requests():
        handler = WSGIHandler()
        with_token = cpu.send(handler, "GET", "/api/v1/me/", None, token)
        without = cpu.send(handler, "GET", "/api/v1/me/", None, None)

    # then the token opens it and its absence does not
    assert with_token[0] == 200
    assert b'"username"' in with_token[1]
    assert without[0] == 401
