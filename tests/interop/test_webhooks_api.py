"""Webhook endpoints through the API: configured by the clinic's admins, the secret shown once,
private targets refused, rotation, deletion cancelling what is still to go."""

from __future__ import annotations

import pytest

from followups.models import FollowUp
from interop.models import WebhookEndpoint
from interop.webhooks.services import webhook_endpoint_create
from kat_clinic.models import AuditEvent
from kat_clinic.roles import Role

pytestmark = pytest.mark.django_db

BASE = "/api/v1/webhook-endpoints/"
URL = "https://93.184.215.14/kat-hooks"


def test_an_admin_adds_an_endpoint_and_sees_its_secret_once(api, admin_staff, clinic):
    # when an admin adds an endpoint
    response = api(admin_staff).post(
        BASE,
        {"clinic": clinic.pk, "url": URL, "events": ["session.cancelled", "session.booked"], "description": "EHR"},
        format="json",
    )

    # then it is created, with its secret in the answer
    assert response.status_code == 201, response.content
    body = response.json()
    endpoint = WebhookEndpoint.objects.get()
    assert body == {
        "id": endpoint.pk,
        "clinic": clinic.pk,
        "url": URL,
        "description": "EHR",
        "events": ["session.booked", "session.cancelled"],
        "active": True,
        "created_at": body["created_at"],
        "secret_rotated_at": None,
        "previous_secret_expires_at": None,
        "secret": endpoint.secret,
    }
    assert body["secret"].startswith("whsec_") and len(body["secret"]) == len("whsec_") + 44
    assert endpoint.created_by == admin_staff.user
    # and never again: neither the list nor the detail shows it
    listed = api(admin_staff).get(BASE).json()["results"]
    detail = api(admin_staff).get(f"{BASE}{endpoint.pk}/").json()
    assert "secret" not in listed[0] and "secret" not in detail
    assert endpoint.secret not in str(listed) + str(detail)
    # and the change is audited
    audit = AuditEvent.objects.filter(resource_type="webhook_endpoint", action="create").get()
    assert (audit.resource_ids, audit.clinic_id, audit.status_code) == ([endpoint.pk], clinic.pk, 201)


@pytest.mark.parametrize(
    "url",
    [
        "https://10.0.0.5/hooks",
        "https://169.254.169.254/latest/meta-data/",
        "http://127.0.0.1:9000/h",
        "https://[::1]/",
    ],
)
def test_a_private_loopback_or_link_local_target_is_refused_and_nothing_is_created(api, admin_staff, clinic, url):
    # when an admin points an endpoint inside the network
    response = api(admin_staff).post(BASE, {"clinic": clinic.pk, "url": url, "events": ["alert.raised"]}, format="json")

    # then it is refused on the url field, as problem details
    assert response.status_code == 422, response.content
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"] == "urn:kat-clinic:problem:webhook_target_refused"
    assert "webhooks go to public addresses only" in problem["errors"]["url"][0]
    assert WebhookEndpoint.objects.count() == 0


def test_changing_the_url_to_a_private_address_is_refused_and_nothing_changes(api, admin_staff, clinic):
    endpoint = webhook_endpoint_create(clinic=clinic, url=URL, events=["alert.raised"], by=admin_staff.user)

    response = api(admin_staff).patch(f"{BASE}{endpoint.pk}/", {"url": "https://192.168.0.10/x"}, format="json")

    assert response.status_code == 422
    endpoint.refresh_from_db()
    assert endpoint.url == URL


def test_an_admin_changes_events_and_switches_an_endpoint_off(api, admin_staff, clinic):
    endpoint = webhook_endpoint_create(clinic=clinic, url=URL, events=["alert.raised"], by=admin_staff.user)

    response = api(admin_staff).patch(
        f"{BASE}{endpoint.pk}/", {"events": ["scale.completed", "alert.raised"], "active": False}, format="json"
    )

    assert response.status_code == 200, response.content
    assert (response.json()["events"], response.json()["active"]) == (["alert.raised", "scale.completed"], False)
    endpoint.refresh_from_db()
    assert (endpoint.events, endpoint.active) == (["alert.raised", "scale.completed"], False)


def test_rotating_issues_a_new_secret_and_keeps_the_old_one_for_the_grace_period(api, admin_staff, clinic):
    endpoint = webhook_endpoint_create(clinic=clinic, url=URL, events=["alert.raised"], by=admin_staff.user)
    old = endpoint.secret

    response = api(admin_staff).post(f"{BASE}{endpoint.pk}/rotate-secret/", {"grace_hours": 48}, format="json")

    assert response.status_code == 200, response.content
    endpoint.refresh_from_db()
    assert response.json()["secret"] == endpoint.secret != old
    assert endpoint.previous_secret == old
    assert (endpoint.previous_secret_expires_at - endpoint.secret_rotated_at).total_seconds() == 48 * 3600


def test_a_grace_period_past_a_week_is_refused_and_the_secret_stays(api, admin_staff, clinic):
    endpoint = webhook_endpoint_create(clinic=clinic, url=URL, events=["alert.raised"], by=admin_staff.user)

    response = api(admin_staff).post(f"{BASE}{endpoint.pk}/rotate-secret/", {"grace_hours": 200}, format="json")

    assert response.status_code == 400
    assert "grace_hours" in response.json()["errors"]
    assert WebhookEndpoint.objects.get().secret == endpoint.secret


def test_deleting_an_endpoint_cancels_its_deliveries_still_to_go(api, admin_staff, clinic, booking):
    endpoint = webhook_endpoint_create(clinic=clinic, url=URL, events=["session.booked"], by=admin_staff.user)
    booking()
    row = FollowUp.objects.get(kind=FollowUp.Kind.WEBHOOK)

    response = api(admin_staff).delete(f"{BASE}{endpoint.pk}/")

    assert response.status_code == 204
    assert WebhookEndpoint.objects.count() == 0
    row.refresh_from_db()
    assert (row.status, row.last_error) == ("cancelled", "webhook endpoint deleted")


@pytest.mark.parametrize("role", [Role.SCHEDULER, Role.NURSE, Role.PRESCRIBER, Role.THERAPIST])
def test_only_admins_configure_webhooks(api, make_staff, clinic, role):
    staff = make_staff(clinic, role)

    response = api(staff).post(BASE, {"clinic": clinic.pk, "url": URL, "events": ["alert.raised"]}, format="json")

    assert response.status_code == 403
    assert WebhookEndpoint.objects.count() == 0


def test_another_clinics_admin_neither_sees_nor_adds_endpoints_here(api, make_staff, clinic, other_clinic, admin_staff):
    endpoint = webhook_endpoint_create(clinic=clinic, url=URL, events=["alert.raised"], by=admin_staff.user)
    outsider = make_staff(other_clinic, Role.ADMIN)

    assert api(outsider).get(f"{BASE}{endpoint.pk}/").status_code == 404
    assert api(outsider).get(BASE).json()["results"] == []
    response = api(outsider).post(
        BASE, {"clinic": clinic.pk, "url": URL + "/2", "events": ["alert.raised"]}, format="json"
    )
    assert response.status_code == 400
    assert WebhookEndpoint.objects.count() == 1


def test_listing_endpoints_takes_a_fixed_number_of_queries(api, admin_staff, clinic, django_assert_max_num_queries):
    for n in range(5):
        webhook_endpoint_create(clinic=clinic, url=f"{URL}/{n}", events=["alert.raised"], by=admin_staff.user)
    client = api(admin_staff)

    with django_assert_max_num_queries(8):
        response = client.get(BASE)

    assert response.json()["count"] == 5
