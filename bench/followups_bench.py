"""Follow-up engine throughput: deliveries per second by one worker, and lag under a 10,000-row backlog.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kat_followups_bench \
    REDIS_URL=redis://127.0.0.1:6379/2 python -m bench.followups_bench [--rows 10000]

It migrates the database named in DATABASE_URL (created if missing), writes N follow-ups all due
now (patient SMS through the logging provider, so the full delivery path runs: claim, lock, intent,
provider call, record), starts ONE Celery worker (`--pool=solo`) on a private queue, and plays beat
in this process: a dispatcher pass every second, as `integration.dispatch_followups` does.
The rows it wrote are deleted at the end.
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--timeout", type=int, default=900, help="give up after this many seconds")
    args = parser.parse_args()

    queue = f"bench-followups-{uuid.uuid4().hex[:8]}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kat_clinic.settings")
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))  # required when DEBUG is false
    os.environ["CELERY_TASK_DEFAULT_QUEUE"] = queue
    # Long enough that no row is claimed twice while it waits its turn in the backlog.
    os.environ["FOLLOWUP_LEASE_SECONDS"] = str(args.timeout)
    os.environ["FOLLOWUP_SMS_PROVIDER"] = "followups.channels.LoggingSmsProvider"
    os.environ["LOG_LEVEL"] = "WARNING"
    sys.path.insert(0, str(ROOT))
    subprocess.run([sys.executable, str(ROOT / "scripts" / "create_database.py")], check=True)

    import django

    django.setup()
    from django.core.management import call_command
    from django.db.models import Max, Min
    from django.utils import timezone

    from followups.engine import followups_dispatch
    from followups.models import Delivery, FollowUp
    from kat_clinic.models import Clinic, Organization, Patient

    call_command("migrate", verbosity=0)
    run = uuid.uuid4().hex[:8]
    org, _ = Organization.objects.get_or_create(slug="bench-followups", defaults={"name": "Bench follow-ups"})
    _clean(org)  # what an interrupted earlier run left behind
    # No quiet hours: the figure is the engine's, whatever the time of day.
    clinic = Clinic.objects.create(
        organization=org,
        name=f"Bench {run}",
        slug=f"bench-{run}",
        timezone="America/New_York",
        quiet_hours_start="00:00",
        quiet_hours_end="00:00",
    )
    patients = Patient.objects.bulk_create(
        Patient(
            organization=org,
            home_clinic=clinic,
            mrn=f"B{run}{n:04d}",
            first_name="Bench",
            last_name=f"Patient {n}",
            date_of_birth="1980-01-01",
            phone="+1 212 555 0100",
            sms_opt_in=True,
        )
        for n in range(100)
    )
    due = timezone.now()
    FollowUp.objects.bulk_create(
        (
            FollowUp(
                clinic=clinic,
                patient=patients[n % len(patients)],
                kind=FollowUp.Kind.CHECKIN_LINK,
                channel=FollowUp.Channel.SMS,
                target=FollowUp.Target.PATIENT,
                idempotency_key=f"bench:{run}:{n}",
                due_at=due,
            )
            for n in range(args.rows)
        ),
        batch_size=2000,
    )
    rows = FollowUp.objects.filter(clinic=clinic)
    print(f"{args.rows} follow-ups due at {due:%H:%M:%S}; one worker on queue {queue}")

    env = {**os.environ, "CONN_MAX_AGE": "60"}
    command = [sys.executable, "-m", "celery", "-A", "kat_clinic", "worker", "--pool=solo", "-Q", queue]
    command += ["--without-heartbeat", "--without-gossip", "--without-mingle", "-l", "warning"]
    worker = subprocess.Popen(command, cwd=ROOT, env=env)
    deadline = time.monotonic() + args.timeout
    try:
        while rows.filter(status=FollowUp.Status.SENT).count() < args.rows:
            if time.monotonic() > deadline:
                print("timed out", file=sys.stderr)
                return 1
            followups_dispatch(batch=500)
            time.sleep(1)
    finally:
        worker.terminate()
        worker.wait(timeout=30)

    span = rows.aggregate(first=Min("sent_at"), last=Max("sent_at"))
    seconds = (span["last"] - span["first"]).total_seconds()
    lags = sorted((sent - due).total_seconds() for sent in rows.values_list("sent_at", flat=True))
    deliveries = Delivery.objects.filter(followup__clinic=clinic).count()
    quantiles = statistics.quantiles(lags, n=100)
    print(f"delivered: {args.rows} rows, {deliveries} deliveries recorded (one each expected)")
    print(f"throughput, one worker: {args.rows / seconds:.0f} follow-ups/s ({seconds:.1f} s first to last)")
    print(
        f"lag due -> sent under a {args.rows}-row backlog: p50 {quantiles[49]:.1f} s, "
        f"p95 {quantiles[94]:.1f} s, max {lags[-1]:.1f} s"
    )

    _clean(org)
    return 0


def _clean(org) -> None:
    from followups.models import Delivery, FollowUp
    from kat_clinic.models import Clinic, Patient

    Delivery.objects.filter(followup__clinic__organization=org).delete()
    FollowUp.objects.filter(clinic__organization=org).delete()
    Patient.objects.filter(organization=org).delete()
    Clinic.objects.filter(organization=org).delete()


if __name__ == "__main__":
    sys.exit(main())
