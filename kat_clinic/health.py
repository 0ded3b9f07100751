"""GET /healthz: is the database reachable, is the broker reachable. 503 when either is down.

GET /livez: the process answers; touches nothing (liveness probe, and the benchmark's ceiling).
"""

from __future__ import annotations

from django.conf import settings
from django.db import connection, transaction
from django.http import HttpResponse, JsonResponse
from kombu import Connection


def database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:
        return False


def broker_ok() -> bool:
    try:
        with Connection(settings.CELERY_BROKER_URL, connect_timeout=2) as broker:
            broker.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=2)
        return True
    except Exception:
        return False


@transaction.non_atomic_requests
def healthz(request):
    checks = {"database": database_ok(), "broker": broker_ok()}
    healthy = all(checks.values())
    body = {"status": "ok" if healthy else "unavailable", **{k: "ok" if v else "down" for k, v in checks.items()}}
    return JsonResponse(body, status=200 if healthy else 503)


@transaction.non_atomic_requests
def livez(request):
    return HttpResponse("ok", content_type="text/plain")
