"""No default SECRET_KEY in production; check-in links without a follow-up answer once and expire sooner."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core import signing

from integration.links import CHECKIN_SALT, checkin_token
from integration.models import CheckIn

ROOT = Path(__file__).resolve().parents[2]


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DEBUG")} | env
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120
    )


def test_without_debug_and_without_secret_key_the_service_refuses_to_start():
    # when
    result = manage("check", DEBUG="false")

    # then
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == (
        "django.core.exceptions.ImproperlyConfigured: SECRET_KEY is not set. "
        "Set it to a long random value (DEBUG is false, so there is no default)."
    )


@pytest.mark.parametrize("debug", ["true", "false"])
def test_the_deploy_check_fails_on_the_development_key(settings, debug):
    # when: the key written in the settings, taken by default (DEBUG=true) or copied into SECRET_KEY
    env = {"DEBUG": debug} if debug == "true" else {"DEBUG": debug, "SECRET_KEY": settings.DEVELOPMENT_SECRET_KEY}
    result = manage("check", "--deploy", **env)

    # then
    assert result.returncode == 1
    assert "?: (kat_clinic.E001) SECRET_KEY is the development key written in the settings." in result.stderr


@pytest.mark.django_db
def test_a_link_forged_with_the_development_key_is_refused_by_a_service_with_its_own_key(api, patient, settings):
    # given: a link signed with the key written in the settings
    forged = signing.dumps(
        {"p": patient.pk, "c": patient.home_clinic_id, "f": None, "n": "forged"},
        key=settings.DEVELOPMENT_SECRET_KEY,
        salt=CHECKIN_SALT,
        compress=True,
    )
    settings.SECRET_KEY = "production-" + "k3y-" * 16

    # when
    response = api().post(f"/api/v1/checkins/{patient.pk}/{forged}/", {"mood_0_10": 5})

    # then
    assert (response.status_code, response.json()["type"]) == (403, "urn:kat-clinic:problem:link_invalid")
    assert not CheckIn.objects.exists()


@pytest.mark.django_db
def test_a_link_without_a_follow_up_answers_once(api, patient):
    # given
    url = f"/api/v1/checkins/{patient.pk}/{checkin_token(patient_id=patient.pk, clinic_id=patient.home_clinic_id)}/"

    # when
    responses = [api().post(url, {"mood_0_10": 5 + n}) for n in range(5)]

    # then
    assert [r.status_code for r in responses] == [201, 409, 409, 409, 409]
    assert responses[1].json()["type"] == "urn:kat-clinic:problem:already_answered"
    assert list(CheckIn.objects.values_list("mood_0_10", flat=True)) == [5]
    assert api().get(url).json()["answered"] is True


@pytest.mark.django_db
def test_a_link_without_a_follow_up_or_an_id_of_its_own_is_refused(api, patient):
    # given: well signed, but neither a follow-up nor a link id (unlimited uses otherwise)
    token = signing.dumps({"p": patient.pk, "c": patient.home_clinic_id, "f": None}, salt=CHECKIN_SALT, compress=True)

    # when
    response = api().post(f"/api/v1/checkins/{patient.pk}/{token}/", {"mood_0_10": 5})

    # then
    assert (response.status_code, response.json()["type"]) == (403, "urn:kat-clinic:problem:link_invalid")
    assert not CheckIn.objects.exists()


@pytest.mark.django_db
def test_a_link_without_a_follow_up_expires_after_a_day(api, patient, settings, monkeypatch):
    # given: signed 25 hours ago (a follow-up's link would still live 72 hours)
    settings.CHECKIN_OPEN_LINK_MAX_AGE_HOURS = 24
    signed_at = int(time.time()) - 25 * 3600
    with monkeypatch.context() as m:
        m.setattr(signing.TimestampSigner, "timestamp", lambda self: signing.b62_encode(signed_at))
        token = checkin_token(patient_id=patient.pk, clinic_id=patient.home_clinic_id)

    # when
    response = api().post(f"/api/v1/checkins/{patient.pk}/{token}/", {"mood_0_10": 5})

    # then
    assert response.status_code == 403
    assert not CheckIn.objects.exists()
