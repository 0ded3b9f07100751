"""Request ids: the server's own on every request; a client's id kept apart, and only when well-formed."""

from __future__ import annotations

import uuid

import pytest

from kat_clinic.audit.models import AuditEvent

pytestmark = pytest.mark.django_db
NIL = "00000000-0000-0000-0000-000000000000"


def get_me(api, who, request_id: str | None):
    headers = {"HTTP_X_REQUEST_ID": request_id} if request_id is not None else {}
    return api(who).get("/api/v1/me/", **headers)


def test_a_forged_all_zero_request_id_is_neither_ours_nor_kept(api, scheduler):
    # when
    responses = [get_me(api, scheduler, NIL) for _ in range(3)]

    # then: three requests, three server ids, none of them the client's
    ids = [r["X-Request-ID"] for r in responses]
    assert [r.status_code for r in responses] == [200, 200, 200]
    assert len(set(ids)) == 3 and NIL not in ids
    assert all("X-Client-Request-ID" not in r for r in responses)
    rows = list(AuditEvent.objects.order_by("id").values_list("request_id", "client_request_id"))
    assert rows == [(uuid.UUID(i), "") for i in ids]


def test_a_well_formed_client_id_is_kept_apart_from_the_servers(api, scheduler):
    # given
    client_id = "3F2504E0-4F89-41D3-9A0C-0305E82C3301"

    # when
    first, second = get_me(api, scheduler, client_id), get_me(api, scheduler, client_id)

    # then
    assert first["X-Request-ID"] != second["X-Request-ID"]
    assert first["X-Client-Request-ID"] == second["X-Client-Request-ID"] == client_id.lower()
    rows = list(AuditEvent.objects.order_by("id").values_list("request_id", "client_request_id"))
    assert rows == [
        (uuid.UUID(first["X-Request-ID"]), client_id.lower()),
        (uuid.UUID(second["X-Request-ID"]), client_id.lower()),
    ]


@pytest.mark.parametrize(
    "malformed",
    [
        "not-a-uuid",
        "<script>alert(1)</script>",
        "----------------------------------",
        "3f2504e04f8941d39a0c0305e82c3301",
    ],
)
def test_a_malformed_client_id_is_dropped(api, scheduler, malformed):
    # when
    response = get_me(api, scheduler, malformed)

    # then
    assert response.status_code == 200
    assert "X-Client-Request-ID" not in response
    assert list(AuditEvent.objects.values_list("client_request_id", flat=True)) == [""]
    assert str(AuditEvent.objects.get().request_id) == response["X-Request-ID"]
