"""CSV exports: a clinic's schedule, outcomes per program, the audit trail, disclosures of a patient."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import defaultdict
from collections.abc import Iterable, Sequence

from django.db.models import Prefetch
from django.utils import timezone

from interop.models import Disclosure
from kat_clinic.models import AuditEvent, Clinic
from monitoring.models import ScaleResponse
from programs.choices import Scale
from programs.models import Enrollment
from sessions.models import Session, StaffAssignment

# DOMAIN.md: response = PHQ-9 down at least 50 % from the enrollment's baseline; remission = PHQ-9 < 5.
BASELINE_LOOKBACK = dt.timedelta(days=30)
REMISSION_BELOW = 5


def to_csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
    return buffer.getvalue().encode("utf-8")


def local_range(clinic: Clinic, start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """[start 00:00, the day after end 00:00) in the clinic's zone, as aware instants."""
    tz = clinic.tz
    return (
        dt.datetime.combine(start, dt.time.min, tzinfo=tz),
        dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=tz),
    )


SCHEDULE_HEADER = [
    "session_id",
    "date",
    "start",
    "end",
    "kind",
    "status",
    "room",
    "telehealth",
    "patient_mrn",
    "patient_name",
    "staff",
]


def schedule_rows(*, clinic: Clinic, start: dt.date, end: dt.date) -> tuple[list[list], list[Session]]:
    since, until = local_range(clinic, start, end)
    sessions = list(
        Session.objects.filter(clinic=clinic, starts_at__gte=since, starts_at__lt=until)
        .select_related("room", "patient")
        .prefetch_related(Prefetch("assignments", StaffAssignment.objects.select_related("staff").order_by("pk")))
        .order_by("starts_at", "pk")
    )
    tz = clinic.tz
    rows = []
    for s in sessions:
        begins, ends = timezone.localtime(s.starts_at, tz), timezone.localtime(s.ends_at, tz)
        rows.append(
            [
                s.pk,
                begins.date().isoformat(),
                begins.strftime("%H:%M"),
                ends.strftime("%H:%M"),
                s.kind,
                s.status,
                s.room.name if s.room else "",
                "yes" if s.telehealth else "no",
                s.patient.mrn,
                f"{s.patient.last_name}, {s.patient.first_name}",
                "; ".join(f"{a.staff} ({a.role})" for a in s.assignments.all()),
            ]
        )
    return rows, sessions


OUTCOMES_HEADER = [
    "program",
    "version",
    "pathway",
    "enrollments",
    "with_baseline",
    "with_follow_up",
    "response",
    "remission",
]


def outcome_rows(*, clinic: Clinic) -> list[list]:
    """Per program version: PHQ-9 baseline (the first in the 30 days before enrolment or after it),
    the latest later PHQ-9, and how many responded (down >= 50 %) or remitted (< 5). Counts only."""
    enrollments = list(
        Enrollment.objects.filter(clinic=clinic).select_related("template").order_by("template_id", "pk")
    )
    earliest = min((e.enrolled_at for e in enrollments), default=None)
    by_patient: dict[int, list[ScaleResponse]] = defaultdict(list)
    if earliest is not None:
        responses = ScaleResponse.objects.filter(
            patient_id__in={e.patient_id for e in enrollments},
            scale=Scale.PHQ9,
            total__isnull=False,
            completed_at__gte=earliest - BASELINE_LOOKBACK,
        ).order_by("completed_at", "pk")
        for response in responses:
            by_patient[response.patient_id].append(response)
    groups: dict[int, dict] = {}
    for e in enrollments:
        group = groups.setdefault(
            e.template_id,
            {"template": e.template, "enrollments": 0, "baseline": 0, "follow_up": 0, "response": 0, "remission": 0},
        )
        group["enrollments"] += 1
        scores = [
            r.total
            for r in by_patient[e.patient_id]
            if r.enrollment_id in (None, e.pk) and r.completed_at >= e.enrolled_at - BASELINE_LOOKBACK
        ]
        if not scores:
            continue
        group["baseline"] += 1
        if len(scores) < 2:
            continue
        baseline, latest = scores[0], scores[-1]
        group["follow_up"] += 1
        group["response"] += int(baseline > 0 and latest * 2 <= baseline)
        group["remission"] += int(latest < REMISSION_BELOW)
    return [
        [
            g["template"].name,
            g["template"].version,
            g["template"].pathway,
            g["enrollments"],
            g["baseline"],
            g["follow_up"],
            g["response"],
            g["remission"],
        ]
        for g in groups.values()
    ]


AUDIT_HEADER = [
    "occurred_at",
    "username",
    "roles",
    "action",
    "operation",
    "method",
    "path",
    "resource_type",
    "resource_ids",
    "patient_ids",
    "outcome",
    "status_code",
    "request_id",
    "ip",
    "break_glass",
]


def audit_rows(*, clinic: Clinic, start: dt.date, end: dt.date) -> list[list]:
    since, until = local_range(clinic, start, end)
    events = AuditEvent.objects.filter(clinic_id=clinic.pk, occurred_at__gte=since, occurred_at__lt=until).order_by(
        "occurred_at", "id"
    )
    return [
        [
            e.occurred_at.isoformat(),
            e.username,
            " ".join(e.roles),
            e.action,
            e.operation,
            e.method,
            e.path,
            e.resource_type,
            " ".join(map(str, e.resource_ids)),
            " ".join(map(str, e.patient_ids)),
            e.outcome,
            e.status_code,
            e.request_id,
            e.ip,
            "yes" if e.break_glass else "no",
        ]
        for e in events.iterator(chunk_size=2000)
    ]


DISCLOSURE_HEADER = ["occurred_at", "channel", "document", "resource_type", "resource_ids", "recipient", "request_id"]


def disclosure_rows(*, patient_id: int) -> list[list]:
    """A patient's accounting of disclosures (45 CFR 164.528): when, what, to whom."""
    rows = Disclosure.objects.filter(patient_ids__contains=[patient_id]).order_by("occurred_at", "id")
    return [
        [
            d.occurred_at.isoformat(),
            d.channel,
            d.document,
            d.resource_type,
            " ".join(map(str, d.resource_ids)),
            d.recipient,
            d.request_id,
        ]
        for d in rows
    ]
