"""The benchmark: seed (or reuse) the bench database, serve it with gunicorn, load it, report.

    python -m bench.run                      # scale 1: `make bench`, under 10 minutes on 2 cores
    python -m bench.run --scales 0.1,1,10    # `make bench-scale`: the growth comparison

For each scale: `bench.seed` (reused when the marker matches), `bench.probe` (context, tokens,
queries per request), gunicorn on 127.0.0.1 with production settings (DEBUG off, a random
SECRET_KEY, ALLOWED_HOSTS=127.0.0.1, TLS off for plain-HTTP loopback), a real login through
/api/v1/auth/login/, then per scenario a closed-loop run and, for hot reads, a run at a fixed
50 requests/s. Results go to bench/results/scale-<s>.json; the Markdown report and the latency
chart are rebuilt from every scale's latest results.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import http.client
import json
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

from bench import report
from bench.benchdb import bench_db_name, bench_db_url, scale_label
from bench.load import RunResult, closed_loop, fixed_rate
from bench.scenarios import SCENARIOS

# The settings refuse to start without SECRET_KEY when DEBUG is false; the bench's own processes
# (seed, probe, role creation) share one random key for the run.
os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
TMP = RESULTS / "tmp"
HOST = "127.0.0.1"


def log(msg: str) -> None:
    print(f"[{dt.datetime.now():%H:%M:%S}] {msg}", flush=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def runtime_database_url(scale: float) -> str:
    """Create (or update) the least-privilege runtime role on the bench database, as its owner; its URL."""
    env = dict(os.environ) | {"DATABASE_URL": bench_db_url(scale), "DJANGO_SETTINGS_MODULE": "kat_clinic.settings"}
    done = subprocess.run(
        [sys.executable, "manage.py", "create_runtime_role", "--print-url"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout.strip().splitlines()[-1]


def server_env(scale: float, database_url: str | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env |= {
        # gunicorn connects as the runtime role, as in production; seeding and probing as the owner.
        "DATABASE_URL": database_url or bench_db_url(scale),
        "DEBUG": "false",
        "TLS": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": HOST,
        "OTP_REQUIRED_FOR_CLINICAL_ROLES": "false",
        "LOG_LEVEL": "WARNING",
        "DJANGO_SETTINGS_MODULE": "kat_clinic.settings",
        "PYTHONDONTWRITEBYTECODE": "1",
        # The load comes from one address and a few users: the rate limits would measure themselves.
        **{f"THROTTLE_{scope}_RATE": "1000000/min" for scope in ("ANON", "USER", "LOGIN", "CHECKIN", "SCHEMA")},
    }
    env.pop("BENCH_COUNT_QUERIES", None)
    return env


class Gunicorn:
    def __init__(
        self, scale: float, workers: int, worker_class: str, threads: int, database_url: str | None = None
    ) -> None:
        self.port = _free_port()
        self.cmd = [
            sys.executable,
            "-m",
            "gunicorn",
            "kat_clinic.wsgi:application",
            "--bind",
            f"{HOST}:{self.port}",
            "--workers",
            str(workers),
            "--worker-class",
            worker_class,
            "--threads",
            str(threads),
            "--keep-alive",
            "5",
            "--timeout",
            "60",
            "--log-level",
            "warning",
        ]
        self.env = server_env(scale, database_url)
        self.proc: subprocess.Popen | None = None
        self.config = {"workers": workers, "worker_class": worker_class, "threads": threads}

    def __enter__(self) -> Gunicorn:
        TMP.mkdir(parents=True, exist_ok=True)
        self.log = open(TMP / "gunicorn.log", "w")  # noqa: SIM115 - closed in __exit__
        self.proc = subprocess.Popen(self.cmd, cwd=ROOT, env=self.env, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 60
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited early; see {TMP / 'gunicorn.log'}")
            try:
                if _get(self.port, "/livez")[0] == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.3)
        raise RuntimeError("gunicorn did not answer /livez within 60 s")

    def worker_cpu_s(self) -> float:
        """User + system CPU seconds of all workers so far: per-request cost, whatever else runs."""
        import psutil

        total = 0.0
        for c in psutil.Process(self.proc.pid).children():
            t = c.cpu_times()
            total += t.user + t.system
        return total

    def worker_rss_mb(self) -> dict:
        import psutil

        master = psutil.Process(self.proc.pid)
        rss = [round(c.memory_info().rss / 2**20, 1) for c in master.children()]
        return {
            "master_mb": round(master.memory_info().rss / 2**20, 1),
            "workers_mb": rss,
            "max_worker_mb": max(rss) if rss else None,
        }

    def __exit__(self, *exc) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def _get(port: int, path: str, method: str = "GET", body: dict | None = None) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        data = json.dumps(body).encode() if body is not None else None
        headers = {"Content-Type": "application/json"} if body is not None else {}
        conn.request(method, path, body=data, headers=headers)
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


def real_login(port: int, username: str) -> str | None:
    """A token through the real login endpoint (password hashing, axes, knox), as a client would."""
    from bench.seed import BENCH_PASSWORD

    status, body = _get(port, "/api/v1/auth/login/", "POST", {"username": username, "password": BENCH_PASSWORD})
    if status != 200:
        log(f"login as {username} returned {status}: {body[:200]!r}; using a directly created token")
        return None
    return json.loads(body)["token"]


def run_subprocess(args: list[str], scale: float) -> None:
    env = dict(os.environ)
    env["DATABASE_URL"] = os.environ.get("DATABASE_URL", "")
    subprocess.run([sys.executable, "-m", *args], cwd=ROOT, env=env, check=True)


def bench_scale(scale: float, opts: argparse.Namespace) -> dict:
    TMP.mkdir(parents=True, exist_ok=True)
    label = scale_label(scale)
    marker_file = TMP / f"marker-{label}.json"
    ctx_file = TMP / f"ctx-{label}.json"

    t0 = time.perf_counter()
    log(f"scale {scale:g}: seeding or reusing {bench_db_name(scale)}")
    run_subprocess(["bench.seed", "--scale", str(scale), "--json", str(marker_file)], scale)
    seed_wall = time.perf_counter() - t0
    marker = json.loads(marker_file.read_text())

    log("probing (context, tokens, queries per request)")
    run_subprocess(["bench.probe", "--scale", str(scale), "--out", str(ctx_file)], scale)
    ctx = json.loads(ctx_file.read_text())

    results: dict = {
        "scale": scale,
        "database": bench_db_name(scale),
        "started_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "loadavg_before": [round(x, 2) for x in os.getloadavg()]},
        "seed": {
            "seconds": marker.get("seconds"),
            "reused": seed_wall < (marker.get("seconds") or 0),
            "counts": {k: v for k, v in (marker.get("counts") or {}).items() if not k.startswith("_")},
            "timings": (marker.get("counts") or {}).get("_timings"),
            "skipped": (marker.get("counts") or {}).get("_skipped"),
            "anchor": marker.get("anchor"),
        },
        "load": {
            "concurrency": opts.concurrency,
            "duration_s": opts.duration,
            "fixed_rate_rps": opts.rate,
            "fixed_rate_duration_s": opts.rate_duration,
            "serial_duration_s": opts.serial_duration,
        },
        "scenarios": {},
    }
    runtime_url = runtime_database_url(scale)
    roles = {
        "seed, probe": urllib.parse.urlsplit(bench_db_url(scale)).username or "",
        "gunicorn": urllib.parse.urlsplit(runtime_url).username or "",
    }
    results["database_roles"] = roles
    log("database roles: " + ", ".join(f"{process} as {role}" for process, role in roles.items()))
    only = {n.strip() for n in opts.only.split(",")} if opts.only else None
    with Gunicorn(scale, opts.workers, opts.worker_class, opts.threads, runtime_url) as server:
        results["server"] = server.config
        token = real_login(server.port, ctx["usernames"]["scheduler"])
        if token:
            ctx["tokens"]["scheduler"] = token
            results["login"] = "scheduler token from POST /api/v1/auth/login/"
        pool_offsets: dict[str, int] = {}
        for sc in SCENARIOS:
            if only and sc.name not in only and sc.kind != "ceiling":
                continue
            info = dict(ctx["probe"].get(sc.name, {"available": False, "reason": "not probed"}))
            results["scenarios"][sc.name] = info
            if not info.get("available"):
                log(f"  {sc.name:<24} not available: {info.get('reason')}")
                continue

            def factory(i: int, sc=sc):
                return sc.request(ctx, i + pool_offsets.get(sc.pool or "", 0))

            max_requests = None
            if sc.pool:
                max_requests = max(0, len(ctx[sc.pool]) - pool_offsets.get(sc.pool, 0))
            if not sc.pool:
                closed_loop(HOST, server.port, factory, concurrency=2, duration_s=1.5)  # warm-up
            # One user, one request at a time: service time without queueing, the figure that shows
            # how latency grows with data whatever else the machine is doing. The workers' CPU over
            # it is the request's own cost: one worker busy at a time, nothing contending for the
            # cores (under the closed loop below, six users and four workers share two cores).
            cpu0 = server.worker_cpu_s()
            serial = closed_loop(
                HOST,
                server.port,
                factory,
                concurrency=1,
                duration_s=opts.serial_duration,
                max_requests=min(40, max_requests) if max_requests is not None else None,
            )
            info["serial"] = serial.summary()
            if serial.samples:
                info["serial"]["worker_cpu_ms_per_request"] = round(
                    (server.worker_cpu_s() - cpu0) * 1000 / len(serial.samples), 2
                )
            if sc.pool:
                pool_offsets[sc.pool] = pool_offsets.get(sc.pool, 0) + serial.attempted
                max_requests = max(0, len(ctx[sc.pool]) - pool_offsets[sc.pool])
            cpu0 = server.worker_cpu_s()
            res = closed_loop(
                HOST,
                server.port,
                factory,
                concurrency=min(opts.concurrency, sc.concurrency or opts.concurrency),
                duration_s=opts.duration,
                max_requests=max_requests,
            )
            info["closed"] = res.summary()
            if res.samples:
                info["closed"]["worker_cpu_ms_per_request"] = round(
                    (server.worker_cpu_s() - cpu0) * 1000 / len(res.samples), 2
                )
            if sc.pool:
                pool_offsets[sc.pool] = pool_offsets.get(sc.pool, 0) + res.attempted
            rate = sc.fixed_rps or opts.rate
            duration = opts.rate_duration
            if sc.pool:
                duration = min(duration, (len(ctx[sc.pool]) - pool_offsets.get(sc.pool, 0)) / rate)
            if duration >= 1:
                fr = fixed_rate(HOST, server.port, factory, rate=rate, duration_s=duration)
                info["fixed_rate"] = fr.summary()
                if sc.pool:
                    pool_offsets[sc.pool] = pool_offsets.get(sc.pool, 0) + int(rate * duration)
            c = info["closed"]
            fixed = f"  | serial p50 {info['serial'].get('p50_ms', 0):.1f} p95 {info['serial'].get('p95_ms', 0):.1f} ms"
            if "fixed_rate" in info:
                f = info["fixed_rate"]
                fixed += f"  | @{f['target_rate_rps']:g}/s p95 {f.get('p95_ms', 0):.1f} ms"
            log(
                f"  {sc.name:<24} {c['throughput_rps']:>7.1f} rps  p50 {c.get('p50_ms', 0):>6.1f}  "
                f"p95 {c.get('p95_ms', 0):>6.1f}  p99 {c.get('p99_ms', 0):>6.1f} ms  errors {c['errors']}{fixed}"
            )
        results["rss"] = server.worker_rss_mb()
        log(f"  gunicorn worker RSS (MB): {results['rss']['workers_mb']}")
    log("one worker, one request at a time (the issue's measure of web CPU per request)")
    results["one_worker"] = one_worker_cpu(scale, opts, ctx, runtime_url, only)
    results["machine"]["loadavg_after"] = [round(x, 2) for x in os.getloadavg()]
    report.evaluate(results)
    slow = [n for n, s in results["scenarios"].items() if s.get("missed") or s.get("goal_missed")]
    if slow and opts.profile:
        log(f"profiling what missed a target: {', '.join(slow)}")
        prof_file = TMP / f"profiles-{label}.json"
        subprocess.run(
            [
                sys.executable,
                "-m",
                "bench.probe",
                "--scale",
                str(scale),
                "--ctx",
                str(ctx_file),
                "--out",
                str(prof_file),
                "--profile",
                ",".join(slow),
            ],
            cwd=ROOT,
            check=False,
        )
        if prof_file.exists():
            results["profiles"] = json.loads(prof_file.read_text())
    results["finished_at"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    out = RESULTS / f"scale-{label}.json"
    out.write_text(json.dumps(results, indent=2, default=str))
    log(f"wrote {out.relative_to(ROOT)}")
    return results


# The one-worker measure is taken in rounds, each endpoint and the ceiling once per round: a shared
# machine's speed drifts within a run by more than the goal's margin, and a drift then touches an
# endpoint and the ceiling it is compared with alike.
ONE_WORKER_ROUNDS = 4


def one_worker_cpu(scale: float, opts: argparse.Namespace, ctx: dict, runtime_url: str, only: set | None) -> dict:
    """Web CPU per request of the ceiling and each hot read on one gunicorn worker, one request at a
    time: the measure the round-2 issue gave its figures in. Under the load run's four workers, a
    request in turn finds its worker's memory out of the CPU's caches (the other three, and the load
    generator, ran since), which costs a heavy request more than `/livez`; both are reported.

    `ONE_WORKER_ROUNDS` rounds of `--serial-duration` / rounds seconds per endpoint, the ceiling
    first in each: per endpoint the median of its rounds' CPU, and (`report.evaluate_one_worker`)
    the median of its rounds' ratios to the same round's ceiling."""
    scenarios = [
        sc
        for sc in SCENARIOS
        if (sc.kind == "ceiling" or sc.hot_read)
        and not (only and sc.name not in only and sc.kind != "ceiling")
        and ctx["probe"].get(sc.name, {}).get("available")
    ]
    rounds: dict[str, list[float]] = {sc.name: [] for sc in scenarios}
    samples: dict[str, RunResult] = {sc.name: RunResult() for sc in scenarios}
    seconds = max(1.0, opts.serial_duration / ONE_WORKER_ROUNDS)
    with Gunicorn(scale, 1, "sync", 1, runtime_url) as server:
        factories = {sc.name: functools.partial(sc.request, ctx) for sc in scenarios}
        for factory in factories.values():
            closed_loop(HOST, server.port, factory, concurrency=1, duration_s=1.0)  # warm-up
        for _round in range(ONE_WORKER_ROUNDS):
            for name, factory in factories.items():
                cpu0 = server.worker_cpu_s()
                serial = closed_loop(HOST, server.port, factory, concurrency=1, duration_s=seconds)
                if serial.samples:
                    rounds[name].append((server.worker_cpu_s() - cpu0) * 1000 / len(serial.samples))
                    samples[name].samples.extend(serial.samples)
    out: dict = {}
    for name, values in rounds.items():
        if values:
            cpu = statistics.median(values)
            out[name] = {
                "worker_cpu_ms_per_request": round(cpu, 2),
                "rounds_ms": [round(v, 3) for v in values],
                "p95_ms": samples[name].summary().get("p95_ms"),
            }
            log(f"  {name:<24} {cpu:6.2f} ms CPU per request (median of {len(values)} rounds)")
    report.evaluate_one_worker(out)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scales", default="1", help="comma-separated data scales, e.g. 0.1,1,10")
    parser.add_argument("--concurrency", type=int, default=6, help="closed-loop users per scenario")
    parser.add_argument("--duration", type=float, default=8.0, help="closed-loop seconds per scenario")
    parser.add_argument("--rate", type=float, default=50.0, help="fixed arrival rate for hot reads (req/s)")
    parser.add_argument("--rate-duration", type=float, default=6.0, help="seconds at the fixed rate")
    parser.add_argument("--serial-duration", type=float, default=4.0, help="seconds of one-at-a-time requests")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--worker-class", default="sync")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--only", default="", help="comma-separated scenario names (the ceiling always runs)")
    parser.add_argument("--no-profile", dest="profile", action="store_false", help="skip pyinstrument")
    opts = parser.parse_args(argv)
    t0 = time.perf_counter()
    for scale in [float(s) for s in opts.scales.split(",") if s.strip()]:
        bench_scale(scale, opts)
    report.write_all(RESULTS)
    log(f"done in {time.perf_counter() - t0:.0f}s; report: bench/results/latest.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
