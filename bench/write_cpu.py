"""CPU and queries of the write paths, called as services on the bench database (no HTTP).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kat_clinic_bench python -m bench.write_cpu [--runs 9]

Each call runs in a transaction that is rolled back, so the seeded data stays as it was. CPU is
`time.process_time()` around the service call (this process only: PostgreSQL's work is not in
it); the machine is shared, so the report gives medians. Paths: whole-program booking of an
unbooked KAT plan, one manual vitals reading, a monitor batch of 60 readings, and the same batch
late in a session that already holds two hours of readings at one a second.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import os
import secrets
import statistics
import time

from bench.probe import QueryCounter


class _Rollback(Exception):
    pass


def _measure(fn, runs: int, setup=None) -> tuple[float, int]:
    """Median CPU ms and queries of `fn()`, each run after `setup()` (not measured), all rolled back."""
    from django.db import connection, transaction

    cpu: list[float] = []
    queries = 0
    for _ in range(runs):
        counter = QueryCounter()

        try:
            with transaction.atomic():
                if setup is not None:
                    setup()
                    gc.collect()  # the setup's garbage is not the measured call's to collect
                with connection.execute_wrapper(counter):
                    t = time.process_time()
                    fn()
                    cpu.append(time.process_time() - t)
                raise _Rollback
        except _Rollback:
            pass
        queries = counter.count
    return statistics.median(cpu) * 1000, queries


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/kat_clinic_bench")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kat_clinic.settings")
    os.environ.setdefault("DEBUG", "false")
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
    import django

    django.setup()
    from django.utils import timezone

    from bench.seed.orchestration import read_marker
    from kat_clinic.models import ClinicMembership
    from monitoring.services.vitals import vitals_record
    from programs.models import Enrollment
    from sessions.models import Session
    from sessions.services import enrollment_book_program

    marker = read_marker() or {}
    anchor = dt.date.fromisoformat(marker["anchor"]) if marker.get("anchor") else timezone.localdate()
    enrollment = (
        Enrollment.objects.filter(status="active", template__catalog_key="ketamine_assisted_therapy")
        .exclude(planned_sessions__status__in=["booked", "completed", "cancelled"])
        .select_related("clinic", "patient")
        .order_by("id")
        .first()
    )
    results = {}
    if enrollment is not None:
        results["whole-program booking (14 sessions)"] = _measure(
            lambda: enrollment_book_program(enrollment=enrollment, date_from=anchor + dt.timedelta(days=1), by=None),
            args.runs,
        )
    now = timezone.now()
    session = (
        Session.objects.filter(kind="dosing", status__in=["in_progress", "completed"], block_starts_at__lte=now)
        .select_related("clinic", "patient")
        .order_by("-block_starts_at")
        .first()
    )
    nurse = (
        ClinicMembership.objects.filter(clinic_id=session.clinic_id, role="nurse", active=True)
        .select_related("staff__user")
        .first()
        .staff
    )
    at = min(now, session.block_ends_at) - dt.timedelta(minutes=1)
    manual = {
        "measured_at": at,
        "systolic_mmhg": 128,
        "diastolic_mmhg": 80,
        "heart_rate_bpm": 74,
        "spo2_percent": 98,
        "source": "manual",
    }
    results["vitals write (1 manual reading)"] = _measure(
        lambda: vitals_record(session=session, by=nurse, readings=[manual]), args.runs
    )
    batch = [
        {**manual, "measured_at": at - dt.timedelta(seconds=30 * i), "source": "device", "device_reading_id": f"b{i}"}
        for i in range(60)
    ]
    results["vitals batch (60 monitor readings)"] = _measure(
        lambda: vitals_record(session=session, by=nurse, readings=batch, batch=True), args.runs
    )
    # Late in a long session fed by a monitor once a second: the rules are evaluated over every
    # reading of the session, so a batch's cost grows with the session's readings.
    from monitoring.models import VitalSign

    def two_hours_of_readings():
        start = at - dt.timedelta(hours=2)
        VitalSign.objects.bulk_create(
            VitalSign(
                session=session,
                patient_id=session.patient_id,
                entered_by=nurse,
                measured_at=start + dt.timedelta(seconds=k),
                systolic_mmhg=118 + k % 11,
                diastolic_mmhg=72 + k % 7,
                heart_rate_bpm=70 + k % 13,
                spo2_percent=96 + k % 4,
                source="device",
                device_reading_id=f"h{k}",
            )
            for k in range(7200)
        )

    # The monitor's next minute, one reading a second, after those two hours.
    late = [
        {**manual, "measured_at": at + dt.timedelta(seconds=i), "source": "device", "device_reading_id": f"late{i}"}
        for i in range(60)
    ]
    results["vitals batch (60, next minute) after 7,200 readings"] = _measure(
        lambda: vitals_record(session=session, by=nurse, readings=late, batch=True), args.runs, two_hours_of_readings
    )
    width = max(len(k) for k in results)
    print(f"{'path':<{width}}  median CPU ms  queries")
    for name, (cpu, queries) in results.items():
        print(f"{name:<{width}}  {cpu:13.1f}  {queries:7d}")


if __name__ == "__main__":
    main()
