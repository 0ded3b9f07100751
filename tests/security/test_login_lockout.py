"""Login lockout: by username and address, by username alone only later, never a whole address."""

from __future__ import annotations

import pytest
from knox.models import AuthToken
from rest_framework.test import APIClient

from kat_clinic.audit.models import AuditEvent

pytestmark = pytest.mark.django_db
PASSWORD = "correct horse battery staple"


def login(username: str, password: str = PASSWORD, *, address: str = "198.51.100.7", forwarded: str | None = None):
    extra = {"REMOTE_ADDR": address}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return APIClient().post("/api/v1/auth/login/", {"username": username, "password": password}, **extra)


def test_failures_under_made_up_usernames_never_lock_a_colleague_behind_the_same_address(scheduler, settings):
    # given: the clinic's shared address sprays the limit's worth of made-up usernames
    for n in range(settings.AXES_FAILURE_LIMIT + 2):
        assert login(f"nobody{n}", "wrong password").status_code in (401, 429)

    # when: a colleague behind the same address logs in
    response = login(scheduler.user.username)

    # then
    assert response.status_code == 200
    assert AuthToken.objects.filter(user=scheduler.user).count() == 1


def test_a_username_locks_at_the_address_that_failed_and_not_at_another(scheduler, settings):
    # given: the limit reached for one username at one address
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert login(scheduler.user.username, "wrong password", address="203.0.113.5").status_code == 401
    assert login(scheduler.user.username, "wrong password", address="203.0.113.5").status_code == 429

    # when
    there = login(scheduler.user.username, address="203.0.113.5")
    elsewhere = login(scheduler.user.username, address="192.0.2.44")

    # then
    assert (there.status_code, there.json()["type"]) == (429, "urn:kat-clinic:problem:locked_out")
    assert elsewhere.status_code == 200
    assert AuthToken.objects.filter(user=scheduler.user).count() == 1


def test_a_username_sprayed_from_many_addresses_locks_everywhere_at_the_higher_limit(scheduler, settings):
    # given: failures from many addresses, each below the per-address limit
    settings.AXES_USERNAME_FAILURE_LIMIT = 8
    for n in range(7):
        assert login(scheduler.user.username, "wrong password", address=f"192.0.2.{n + 1}").status_code == 401
    assert login(scheduler.user.username, "wrong password", address="192.0.2.99").status_code == 429

    # when: the right password from an address that never failed
    response = login(scheduler.user.username, address="198.51.100.200")

    # then
    assert response.status_code == 429
    assert AuthToken.objects.count() == 0


def test_behind_a_trusted_proxy_the_forwarded_client_address_is_counted(scheduler, settings):
    # given: one trusted proxy; one client (with a forged hop in front of its header) reaches the limit
    settings.TRUSTED_PROXY_COUNT = 1
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(scheduler.user.username, "wrong password", address="10.0.0.2", forwarded="6.6.6.6, 203.0.113.9")

    # when: the same username from another client behind the same proxy, and from the locked client
    other_client = login(scheduler.user.username, address="10.0.0.2", forwarded="198.51.100.23")
    locked_client = login(scheduler.user.username, address="10.0.0.2", forwarded="203.0.113.9")

    # then
    assert (other_client.status_code, locked_client.status_code) == (200, 429)
    failures = AuditEvent.objects.filter(action="login", outcome=AuditEvent.Outcome.DENIED, status_code=401)
    assert set(failures.values_list("ip", flat=True)) == {"203.0.113.9"}


def test_failed_and_successful_logins_are_audited_with_the_username_tried(scheduler):
    # when
    failed = login(scheduler.user.username, "wrong password")
    unknown = login("no-such-user", "wrong password")
    succeeded = login(scheduler.user.username)

    # then
    assert (failed.status_code, unknown.status_code, succeeded.status_code) == (401, 401, 200)
    rows = list(
        AuditEvent.objects.filter(action="login")
        .order_by("id")
        .values_list("username", "user_id", "outcome", "status_code", "ip", "path")
    )
    assert rows == [
        (scheduler.user.username, None, "denied", 401, "198.51.100.7", "/api/v1/auth/login/"),
        ("no-such-user", None, "denied", 401, "198.51.100.7", "/api/v1/auth/login/"),
        (scheduler.user.username, scheduler.user.pk, "success", 200, "198.51.100.7", "/api/v1/auth/login/"),
    ]
