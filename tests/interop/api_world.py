"""Interop's part of the API-wide world (tests/security/world.py).

Per clinic: the FHIR routes name the clinic's seeded patient (`Patient/{id}`) and the clinic itself
(`Group/{clinic_id}`), one completed bulk export with one file, and one webhook endpoint. Webhook
URLs are literal public addresses: checked when configured, never contacted (no dispatcher runs).
"""

from __future__ import annotations

import itertools

from interop.calendars import calendar_feed_issue
from interop.models import BulkExport, BulkExportFile
from interop.webhooks.services import webhook_endpoint_create
from kat_clinic.models import Clinic, StaffMember
from kat_clinic.roles import Role
from tests.security.world import ApiWorld, World


def seed(world: World, clinic: Clinic, ids: dict[str, int]) -> None:
    from django.utils import timezone

    requester = world.staff[Role.PRESCRIBER].user
    export = BulkExport.objects.create(
        clinic=clinic,
        requested_by=requester,
        request_url="http://testserver/api/v1/fhir/Group/1/$export",
        status=BulkExport.Status.COMPLETED,
        started_at=timezone.now(),
        completed_at=timezone.now(),
    )
    file = BulkExportFile.objects.create(
        export=export, resource_type="Patient", count=1, content='{"resourceType":"Patient","id":"1"}\n'
    )
    nurse = StaffMember.objects.filter(memberships__clinic=clinic, memberships__role=Role.NURSE).order_by("pk").first()
    feed, token = calendar_feed_issue(clinic=clinic, by=nurse.user, staff=nurse)
    ids.update(
        {
            "Patient": ids["patients"],
            "Group": clinic.pk,
            "bulk-status": export.pk,
            "bulk-files": file.pk,
            "calendar-feeds": feed.pk,
            "webhook-endpoints": _endpoint(world, clinic).pk,
        }
    )
    if clinic == world.clinic:
        world.objects["calendar_token"] = token


def _own_feed(world: World, role: str) -> dict:
    staff = world.staff[role]
    feed, _ = calendar_feed_issue(clinic=world.clinic, by=staff.user, staff=staff)
    return {"id": feed.pk}


def _issue_body(world: World, role: str) -> dict:
    return {"clinic": world.clinic.pk, "staff": world.staff[role].pk}


_urls = itertools.count(1)


def _webhook_url() -> str:
    return f"https://93.184.215.14/kat-hooks/{next(_urls)}"


def _endpoint(world: World, clinic: Clinic):
    admin = StaffMember.objects.filter(memberships__clinic=clinic, memberships__role=Role.ADMIN).order_by("pk").first()
    by = admin.user if admin else world.staff[Role.ADMIN].user
    return webhook_endpoint_create(clinic=clinic, url=_webhook_url(), events=["session.booked"], by=by)


def _fresh_endpoint(world: World, role: str) -> dict:
    return {"id": _endpoint(world, world.clinic).pk}


def _endpoint_body(world: World, role: str) -> dict:
    return {
        "clinic": world.clinic.pk,
        "url": _webhook_url(),
        "events": ["session.booked", "alert.raised"],
        "description": "EHR integration",
    }


API_WORLD = ApiWorld(
    seed=seed,
    fresh_paths={
        ("POST", "/api/v1/calendar-feeds/{id}/revoke/"): _own_feed,
        ("DELETE", "/api/v1/webhook-endpoints/{id}/"): _fresh_endpoint,
    },
    body_bases={
        ("POST", "/api/v1/calendar-feeds/"): _issue_body,
        ("POST", "/api/v1/webhook-endpoints/"): _endpoint_body,
        ("PUT", "/api/v1/webhook-endpoints/{id}/"): _endpoint_body,
        ("PATCH", "/api/v1/webhook-endpoints/{id}/"): _endpoint_body,
        ("POST", "/api/v1/webhook-endpoints/{id}/rotate-secret/"): lambda world, role: {"grace_hours": 24},
    },
    public_paths={("GET", "/api/v1/calendars/{token}/"): lambda world: {"token": world.objects["calendar_token"]}},
    ratio_exempt={
        ("GET", "/api/v1/fhir/Group/{clinic_id}/$export"): "generated `_type` lists name types we do not export (400)",
        ("GET", "/api/v1/exports/schedule/"): "generated date ranges are mostly reversed or over a year long (400)",
        ("GET", "/api/v1/exports/audit-events/"): "generated date ranges are mostly reversed or over a year long (400)",
    },
)
