"""What runs as the service in the suite (live servers, Celery workers) connects as the runtime role."""

from __future__ import annotations

import json
import time
import urllib.request
import uuid

import pytest
from celery import shared_task
from celery.contrib.testing.worker import start_worker
from django.conf import settings as django_settings
from django.db import connection
from django.http import JsonResponse
from django.urls import path

from kat_clinic.celery import app

pytestmark = pytest.mark.django_db(transaction=True)

SEEN: dict[str, str] = {}


def current_database_user() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        return cursor.fetchone()[0]


@shared_task(name="tests.security.record_database_user", ignore_result=True)
def record_database_user(marker: str) -> None:
    SEEN[marker] = current_database_user()


def database_user_view(request):
    return JsonResponse({"user": current_database_user()})


urlpatterns = [path("whoami/", database_user_view)]


def wait_for(predicate, timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


def test_the_test_itself_arranges_as_the_owner():
    assert current_database_user() == connection.settings_dict["USER"] != django_settings.RUNTIME_DB_ROLE


def test_a_celery_worker_under_test_connects_as_the_runtime_role(_isolated_celery_queue):
    # given
    marker = uuid.uuid4().hex

    # when
    with start_worker(app, pool="solo", perform_ping_check=False, queues=[_isolated_celery_queue], shutdown_timeout=10):
        record_database_user.delay(marker)
        assert wait_for(lambda: marker in SEEN)

    # then
    assert SEEN[marker] == "kat_runtime"


def test_a_live_server_connects_as_the_runtime_role(live_server, settings):
    # given
    settings.ROOT_URLCONF = __name__

    # when
    with urllib.request.urlopen(f"{live_server.url}/whoami/", timeout=10) as response:
        body = json.loads(response.read())

    # then
    assert body == {"user": "kat_runtime"}
