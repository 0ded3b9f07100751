"""Single-request probe inside Django, against the bench database.

    python -m bench.probe --scale 1 --out ctx.json [--profile "day board,session chart"]

1. Collects the load context: tokens per role (knox tokens created directly), the clinic, the
   dataset's "today", ids of patients, sessions and unbooked enrollments, and the path of each
   endpoint that exists on this branch (an endpoint that does not resolve is "not available").
2. Sends each scenario's request once through Django's test client with a query counter on the
   connection (`connection.execute_wrapper`), after one warm-up request, so queries per request are
   measured without touching production code.
3. With --profile, runs pyinstrument over a few requests of the named scenarios.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"

# Candidate paths per endpoint, first that resolves wins. Placeholders are filled by the scenarios.
PATH_CANDIDATES: dict[str, list[str]] = {
    "day_board": [
        "/api/v1/scheduling/day-board/?clinic={clinic}&date={date}",
        "/api/v1/day-board/?clinic={clinic}&date={date}",
    ],
    "availability": ["/api/v1/scheduling/search/"],
    "booking": ["/api/v1/scheduling/program-booking/"],
    "session_chart": ["/api/v1/chart/sessions/{session}/", "/api/v1/sessions/{session}/chart/"],
    "vitals_write": ["/api/v1/chart/vitals/", "/api/v1/sessions/{session}/vitals/"],
    "vitals_batch": ["/api/v1/chart/vitals/batch/"],
    "patient_timeline": ["/api/v1/chart/patients/{patient}/timeline/", "/api/v1/patients/{patient}/timeline/"],
    "followup_queue": [
        "/api/v1/followups/?clinic={clinic}",
        "/api/v1/follow-ups/?clinic={clinic}",
    ],
}
SAMPLE_VALUES = {
    "clinic": 1,
    "date": "2026-01-05",
    "start": "2026-01-05",
    "end": "2026-01-12",
    "enrollment": 1,
    "session": 1,
    "patient": 1,
}


def resolves(path: str) -> bool:
    from django.urls import Resolver404, resolve

    try:
        resolve(path.split("?")[0])
        return True
    except Resolver404:
        return False


def discover_paths() -> dict[str, str]:
    found = {}
    for key, candidates in PATH_CANDIDATES.items():
        for c in candidates:
            if resolves(c.format(**SAMPLE_VALUES)):
                found[key] = c
                break
    return found


def _token(user) -> str:
    from knox.models import AuthToken

    _, token = AuthToken.objects.create(user=user)
    return token


def _staff_user(clinic_id: int, role: str, index: int = 1):
    from kat_clinic.models import ClinicMembership

    m = (
        ClinicMembership.objects.filter(clinic_id=clinic_id, role=role, active=True)
        .select_related("staff__user")
        .order_by("staff_id")
    )
    rows = list(m[: max(index, 1)])
    return rows[min(index, len(rows)) - 1].staff.user if rows else None


def collect_context(scale: float) -> dict:
    from django.db import connection

    from bench import seed as seedmod
    from kat_clinic.models import Clinic, Patient

    marker = seedmod.read_marker() or {}
    clinic = Clinic.objects.filter(organization__slug="bench-network").order_by("id").first()
    ctx: dict = {
        "scale": scale,
        "run_id": secrets.token_hex(4),  # tells this run's monitor reading ids from earlier runs'
        "anchor": marker.get("anchor"),
        "clinic_id": clinic.pk,
        "clinic_tz": clinic.timezone,
        "marker": marker,
        "tokens": {},
        "usernames": {},
    }
    roles = {
        "scheduler": ("scheduler", 1),
        "nurse": ("nurse", 1),
        "clinician": ("prescriber", 1),
        "therapist": ("therapist", 1),
        "followups": ("nurse", 2),
        "admin": ("admin", 1),
    }
    for key, (role, idx) in roles.items():
        user = _staff_user(clinic.pk, role, idx)
        if user:
            ctx["tokens"][key] = _token(user)
            ctx["usernames"][key] = user.username
    from kat_clinic.models import User

    booker = User.objects.filter(username="network-scheduler").first() or _staff_user(clinic.pk, "scheduler", 2)
    ctx["tokens"]["booker"] = _token(booker)
    ctx["usernames"]["booker"] = booker.username
    ctx["tokens"]["none"] = ""

    with connection.cursor() as cur:
        # Patients with history at this clinic: the ones whose charts and timelines people open.
        cur.execute(
            "SELECT DISTINCT patient_id FROM clinic_sessions_session WHERE clinic_id = %s "
            "AND block_starts_at > now() - interval '120 days' LIMIT 400",
            [clinic.pk],
        )
        ctx["patients"] = [r[0] for r in cur.fetchall()] or list(
            Patient.objects.filter(home_clinic=clinic).values_list("pk", flat=True)[:400]
        )
        cur.execute(
            "SELECT id FROM clinic_sessions_session WHERE clinic_id = %s AND kind = 'dosing' "
            "AND status = 'completed' ORDER BY block_starts_at DESC LIMIT 400",
            [clinic.pk],
        )
        ctx["chart_sessions"] = [r[0] for r in cur.fetchall()]
        # Vitals are charted inside their session's block (charting refuses a time in the future or
        # far outside the block): the latest dosing sessions whose block has begun, each reading
        # timed 30 minutes into its block. Not the charts' sessions: the vitals scenarios store
        # thousands of readings a run, which would grow the charts the bench reads run after run.
        cur.execute(
            "SELECT id, block_starts_at + interval '30 minutes' FROM clinic_sessions_session "
            "WHERE clinic_id = %s AND kind = 'dosing' AND active "
            "AND block_starts_at + interval '30 minutes' <= now() ORDER BY block_starts_at DESC LIMIT %s",
            [clinic.pk, len(ctx["chart_sessions"]) + 50],
        )
        charts = set(ctx["chart_sessions"])
        rows = [row for row in cur.fetchall() if row[0] not in charts][:50]
        ctx["vitals_sessions"] = [r[0] for r in rows]
        ctx["vitals_at"] = {str(r[0]): r[1].isoformat() for r in rows}
    ctx["paths"] = discover_paths()
    _extend_context(ctx, clinic)
    return ctx


def _extend_context(ctx: dict, clinic) -> None:
    """Per-app context (bodies, pools) for the apps that exist on this branch."""
    from bench import contexts

    for fn in contexts.EXTENDERS:
        fn(ctx, clinic)


class QueryCounter:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def probe(ctx: dict) -> dict:
    """Availability, status and queries per request for each scenario, one request each."""
    from django.db import connection
    from django.test import Client

    from bench.scenarios import PATH_KEYS, SCENARIOS

    out = {}
    for sc in SCENARIOS:
        key = PATH_KEYS.get(sc.name)
        if key and key not in ctx["paths"]:
            out[sc.name] = {"available": False, "reason": "endpoint not on this branch"}
            continue
        missing = [k for k in sc.needs if not ctx.get(k)]
        if missing:
            out[sc.name] = {"available": False, "reason": f"no seeded data for {', '.join(missing)}"}
            continue
        client = Client()
        statuses, counts = [], []
        # Two requests: the first warms caches (and may create lazy rows), the second is counted.
        for attempt in range(2):
            i = _probe_index(ctx, sc, attempt)
            method, path, body, headers = sc.request(ctx, i)
            counter = QueryCounter()
            with connection.execute_wrapper(counter):
                resp = _send(client, method, path, body, headers)
            statuses.append(resp.status_code)
            counts.append(counter.count)
        out[sc.name] = {
            "available": True,
            "path": path.split("?")[0],
            "probe_status": statuses[-1],
            "queries_per_request": counts[-1],
            "probe_body": _short(resp),
        }
    return out


def _probe_index(ctx: dict, sc, attempt: int) -> int:
    if sc.pool:
        # Single-use items: the probe takes them from the end so the load run starts at 0.
        pool = ctx[sc.pool]
        return len(pool) - 1 - attempt
    return attempt


def _send(client, method: str, path: str, body, headers: dict):
    extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()}
    if method == "GET":
        return client.get(path, **extra)
    return client.generic(method, path, data=json.dumps(body or {}), content_type="application/json", **extra)


def _short(resp) -> str:
    if 200 <= resp.status_code < 300:
        return ""
    try:
        return resp.content.decode()[:300]
    except Exception:
        return ""


def profile(ctx: dict, names: list[str], repeat: int = 20) -> dict[str, str]:
    """pyinstrument text reports for the named scenarios, written under results/profiles/."""
    from django.test import Client
    from pyinstrument import Profiler

    from bench.scenarios import SCENARIOS

    outdir = RESULTS / "profiles"
    outdir.mkdir(parents=True, exist_ok=True)
    written = {}
    for sc in SCENARIOS:
        if sc.name not in names:
            continue
        client = Client()
        if not sc.pool:
            for i in range(3):  # warm-up: URLconf import, first connection
                _send(client, *sc.request(ctx, 50 + i))
        profiler = Profiler(interval=0.0005)
        profiler.start()
        statuses: dict[int, int] = {}
        for i in range(repeat):
            idx = _probe_index(ctx, sc, 2 + i) if sc.pool else 100 + i
            method, path, body, headers = sc.request(ctx, idx)
            code = _send(client, method, path, body, headers).status_code
            statuses[code] = statuses.get(code, 0) + 1
        profiler.stop()
        slug = sc.name.replace(" ", "_").replace("(", "").replace(")", "")
        target = outdir / f"{slug}.txt"
        answered = ", ".join(f"{n} x {code}" for code, n in sorted(statuses.items()))
        target.write_text(
            f"{sc.name}: {repeat} requests ({answered})\n"
            + profiler.output_text(unicode=False, color=False, show_all=False)
        )
        written[sc.name] = str(target.relative_to(RESULTS.parent.parent))
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--out", required=True)
    parser.add_argument("--profile", default="", help="comma-separated scenario names to profile")
    parser.add_argument("--ctx", help="reuse this context file (with --profile)")
    args = parser.parse_args(argv)
    from bench.benchdb import use_bench_database

    use_bench_database(args.scale)
    os.environ.setdefault("DEBUG", "false")
    os.environ["ALLOWED_HOSTS"] = "testserver,127.0.0.1"
    # As for gunicorn (bench.run.server_env): every request still counts in Redis, but the probe's
    # and the profiler's requests from one user must not be refused with 429s and profiled as such.
    for scope in ("ANON", "USER", "LOGIN", "CHECKIN", "SCHEMA"):
        os.environ[f"THROTTLE_{scope}_RATE"] = "1000000/min"
    import django

    django.setup()
    if args.profile:
        ctx = json.loads(Path(args.ctx).read_text())
        written = profile(ctx, [n.strip() for n in args.profile.split(",") if n.strip()])
        Path(args.out).write_text(json.dumps(written, indent=2))
        return 0
    ctx = collect_context(args.scale)
    ctx["probe"] = probe(ctx)
    # The probe consumed the last two items of each single-use pool.
    from bench.scenarios import SCENARIOS

    for sc in SCENARIOS:
        if sc.pool and ctx.get(sc.pool):
            ctx[sc.pool] = ctx[sc.pool][:-2]
    Path(args.out).write_text(json.dumps(ctx, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
