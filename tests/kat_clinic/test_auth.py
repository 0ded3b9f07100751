from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from knox.models import AuthToken
from rest_framework.test import APIClient

from kat_clinic.roles import Role

pytestmark = pytest.mark.django_db
PASSWORD = "correct horse battery staple"


def login(username: str, password: str = PASSWORD, **extra):
    return APIClient().post("/api/v1/auth/login/", {"username": username, "password": password, **extra})


def totp_code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def test_login_returns_a_token_that_opens_me(scheduler, clinic):
    # when
    response = login(scheduler.user.username)

    # then
    assert response.status_code == 200
    token = response.json()["token"]
    me = APIClient(HTTP_AUTHORIZATION=f"Token {token}").get("/api/v1/me/")
    assert me.status_code == 200
    assert me.json()["clinics"] == [
        {"id": clinic.pk, "name": clinic.name, "timezone": "America/New_York", "roles": [Role.SCHEDULER]}
    ]


def test_tokens_are_stored_hashed(scheduler):
    # when
    token = login(scheduler.user.username).json()["token"]

    # then: the database holds a digest and a short prefix, never the token
    stored = AuthToken.objects.get(user=scheduler.user)
    assert token not in (stored.digest, stored.token_key)
    assert token.startswith(stored.token_key)


def test_wrong_password_is_401_and_issues_no_token(scheduler):
    # when
    response = login(scheduler.user.username, "not the password")

    # then
    assert response.status_code == 401
    assert response.json()["type"] == "urn:kat-clinic:problem:invalid_credentials"
    assert AuthToken.objects.count() == 0


def test_unknown_token_is_401(db):
    response = APIClient(HTTP_AUTHORIZATION="Token " + "0" * 64).get("/api/v1/me/")
    assert response.status_code == 401


def test_expired_token_is_401(scheduler):
    # given
    instance, token = AuthToken.objects.create(user=scheduler.user, expiry=dt.timedelta(minutes=30))
    AuthToken.objects.filter(pk=instance.pk).update(expiry=timezone.now() - dt.timedelta(seconds=1))

    # when
    response = APIClient(HTTP_AUTHORIZATION=f"Token {token}").get("/api/v1/me/")

    # then
    assert response.status_code == 401


def test_repeated_failures_lock_the_account_even_for_the_right_password(scheduler, settings):
    # given: failures up to the limit; the one that reaches it is already answered "locked"
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert login(scheduler.user.username, "wrong password").status_code == 401
    assert login(scheduler.user.username, "wrong password").status_code == 429

    # when
    response = login(scheduler.user.username)

    # then
    assert response.status_code == 429
    assert response.json()["type"] == "urn:kat-clinic:problem:locked_out"
    assert AuthToken.objects.count() == 0


def test_clinical_role_needs_a_totp_code(nurse, settings):
    # given
    settings.OTP_REQUIRED_FOR_CLINICAL_ROLES = True
    device = TOTPDevice.objects.create(user=nurse.user, name="phone", confirmed=True)

    # when
    without = login(nurse.user.username)
    right = login(nurse.user.username, otp=totp_code(device))

    # then
    assert without.status_code == 401
    assert without.json()["type"] == "urn:kat-clinic:problem:otp_required"
    assert right.status_code == 200
    assert AuthToken.objects.filter(user=nurse.user).count() == 1


def test_a_wrong_totp_code_issues_no_token(nurse, settings):
    # given
    settings.OTP_REQUIRED_FOR_CLINICAL_ROLES = True
    device = TOTPDevice.objects.create(user=nurse.user, name="phone", confirmed=True)
    wrong = "000000" if totp_code(device) != "000000" else "111111"

    # when
    response = login(nurse.user.username, otp=wrong)

    # then
    assert response.status_code == 401
    assert response.json()["errors"] == {"otp": ["Enter the 6-digit code from your authenticator app."]}
    assert AuthToken.objects.count() == 0


def test_the_right_code_just_after_a_wrong_one_is_told_to_wait_then_accepted(nurse, settings):
    # given: a nurse whose wrong code was just refused
    settings.OTP_REQUIRED_FOR_CLINICAL_ROLES = True
    device = TOTPDevice.objects.create(user=nurse.user, name="phone", confirmed=True)
    wrong = "000000" if totp_code(device) != "000000" else "111111"
    assert login(nurse.user.username, otp=wrong).status_code == 401

    # when: the right code at once
    hurried = login(nurse.user.username, otp=totp_code(device))

    # then: told to wait, not that the code is wrong, and no token
    assert hurried.status_code == 401
    assert hurried.json()["type"] == "urn:kat-clinic:problem:otp_throttled"
    assert hurried.json()["errors"] == {"otp": ["Wait 1 s, then enter the current code."]}
    assert AuthToken.objects.count() == 0

    # when: the second has passed
    with time_machine.travel(timezone.now() + dt.timedelta(seconds=2), tick=False):
        accepted = login(nurse.user.username, otp=totp_code(device))

    # then: signed in
    assert accepted.status_code == 200
    assert AuthToken.objects.filter(user=nurse.user).count() == 1


def test_front_desk_logs_in_without_totp(scheduler, settings):
    settings.OTP_REQUIRED_FOR_CLINICAL_ROLES = True
    assert login(scheduler.user.username).status_code == 200
