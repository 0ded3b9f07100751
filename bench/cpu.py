"""Web CPU per request, in process: the per-request overhead of the hot reads next to `/livez`.

    python -m bench.cpu [--scale 1] [-n 200] [--only "patient list,day board"] [--role runtime|owner]
    python -m bench.cpu --json out.json

Against the bench database (seed it first: `python -m bench.seed --scale 1`), with production-like
settings (DEBUG off, throttles on and counted in Redis, the audit row of every request, the runtime
database role, the garbage collector set as a served worker sets it: kat_clinic/serving_gc.py),
each scenario's request is sent N times straight through Django's WSGI handler, as gunicorn would
call it, after a few warm-up requests. For each request: `time.process_time()`
around the handler call (CPU of this process only: PostgreSQL's and Redis's own work is not in it)
and the number of queries (`connection.execute_wrapper`). The table gives the median and p95 per
request, the median's ratio to `/livez` in the same run, and the queries per request.

The machine is shared: compare ratios within one run, not milliseconds across runs.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import secrets
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from bench.probe import QueryCounter

# Rates so high that the throttles never refuse, yet every request still counts in Redis (as bench.run).
THROTTLE_SCOPES = ("ANON", "USER", "LOGIN", "CHECKIN", "SCHEMA")


@dataclass
class Result:
    name: str
    status: int
    cpu_ms: list[float] = field(default_factory=list)
    queries: list[int] = field(default_factory=list)

    @property
    def median_ms(self) -> float:
        return statistics.median(self.cpu_ms)

    @property
    def p95_ms(self) -> float:
        ordered = sorted(self.cpu_ms)
        return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]

    @property
    def queries_per_request(self) -> int:
        return round(statistics.median(self.queries))


@dataclass(frozen=True)
class CpuScenario:
    name: str
    role: str  # "none" for no credentials, else a key of the tokens logged in
    build: Callable[[dict, int], tuple[str, str, dict | None]]


def configure_environment() -> None:
    """Production-like settings for this process; call before django.setup()."""
    os.environ["DEBUG"] = "false"
    os.environ["TLS"] = "false"
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
    os.environ["ALLOWED_HOSTS"] = "testserver,127.0.0.1"
    os.environ["OTP_REQUIRED_FOR_CLINICAL_ROLES"] = "false"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kat_clinic.settings")
    for scope in THROTTLE_SCOPES:
        os.environ[f"THROTTLE_{scope}_RATE"] = "1000000/min"


# Run only when named (`--only`, `--profile`): each request books one of the seeded pool's
# unbooked plans for good, and the pool is small (100 at scale 0.1).
NAMED_ONLY = frozenset({"whole-program booking"})


def _me(ctx: dict, i: int):
    return "GET", "/api/v1/me/", None


def scenarios(ctx: dict) -> list[CpuScenario]:
    """`/livez`, `/me/`, the hot reads of bench.scenarios that exist on this branch, the vitals
    write (a reading is stored per request, as under the load) and whole-program booking (a plan
    of the pool booked per request; `NAMED_ONLY`)."""
    from bench.scenarios import PATH_KEYS, SCENARIOS

    by_name = {sc.name: sc for sc in SCENARIOS}
    out = [CpuScenario("livez", "none", by_name["livez (ceiling)"].build), CpuScenario("me", "scheduler", _me)]
    order = [
        "patient list",
        "patient detail",
        "day board",
        "session list",
        "session chart",
        "patient timeline",
        "follow-up queue",
        "availability search",
        "vitals write",
        "vitals batch (60 readings)",
        "whole-program booking",
    ]
    for name in order:
        sc = by_name[name]
        key = PATH_KEYS.get(name)
        if key and key not in ctx["paths"]:
            continue
        if any(not ctx.get(k) for k in sc.needs):
            continue
        out.append(CpuScenario(name, sc.role, sc.build))
    return out


def _environ(method: str, path: str, body: dict | None, token: str | None) -> dict:
    from urllib.parse import urlsplit

    parts = urlsplit(path)
    data = json.dumps(body).encode() if body is not None else b""
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": parts.path,
        "QUERY_STRING": parts.query,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "127.0.0.1",
        "HTTP_ACCEPT": "application/json",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(data),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    if body is not None:
        environ["CONTENT_TYPE"] = "application/json"
        environ["CONTENT_LENGTH"] = str(len(data))
    if token:
        environ["HTTP_AUTHORIZATION"] = f"Token {token}"
    return environ


def send(handler, method: str, path: str, body: dict | None, token: str | None) -> tuple[int, bytes]:
    """One request through the WSGI handler, the response body read and closed as a server would."""
    status: list[str] = []

    def start_response(line, headers, exc_info=None):
        status.append(line)

    result = handler(_environ(method, path, body, token), start_response)
    try:
        content = b"".join(result)
    finally:
        close = getattr(result, "close", None)
        if close:
            close()
    return int(status[0].split()[0]), content


def login(handler, username: str) -> str:
    """A real login through POST /api/v1/auth/login/, as the clients do."""
    from bench.seed import BENCH_PASSWORD

    code, content = send(
        handler, "POST", "/api/v1/auth/login/", {"username": username, "password": BENCH_PASSWORD}, None
    )
    if code != 200:
        raise RuntimeError(f"login of {username} failed: {code} {content[:200]!r}")
    token = json.loads(content)["token"]
    ISSUED.append(token)
    return token


def measure(handler, ctx: dict, scenario: CpuScenario, tokens: dict[str, str], n: int, warmup: int = 5) -> Result:
    from django.db import connection

    token = tokens.get(scenario.role) if scenario.role != "none" else None
    for i in range(warmup):
        method, path, body = scenario.build(ctx, 1000 + i)
        send(handler, method, path, body, token)
    result = Result(scenario.name, 0)
    for i in range(n):
        method, path, body = scenario.build(ctx, i)
        counter = QueryCounter()
        with connection.execute_wrapper(counter):
            t0 = time.process_time()
            code, _ = send(handler, method, path, body, token)
            elapsed = time.process_time() - t0
        result.cpu_ms.append(elapsed * 1000)
        result.queries.append(counter.count)
        result.status = code
    return result


# Tokens this run signed in with; only these are revoked at the end, so a `make bench` or another
# run beside this one keeps its own.
ISSUED: list[str] = []


def revoke_tokens(tokens) -> None:
    """Delete the given tokens (the probe's and this run's logins)."""
    from knox.models import AuthToken
    from knox.settings import CONSTANTS

    keys = [t[: CONSTANTS.TOKEN_KEY_LENGTH] for t in tokens if t]
    AuthToken.objects.filter(token_key__in=keys).delete()


def use_runtime_role() -> str:
    """Reconnect this process as the least-privilege runtime role (created or updated as the owner)."""
    from django.core.management import call_command
    from django.db import connection

    out = io.StringIO()
    call_command("create_runtime_role", "--print-url", stdout=out)
    url = out.getvalue().strip().splitlines()[-1]
    import environ as django_environ

    parsed = django_environ.Env.db_url_config(url)
    connection.close()
    connection.settings_dict.update(USER=parsed["USER"], PASSWORD=parsed["PASSWORD"])
    return parsed["USER"]


def run(
    ctx: dict, n: int, only: set[str] | None = None, tokens: dict[str, str] | None = None, warmup: int = 5
) -> list[Result]:
    from django.core.handlers.wsgi import WSGIHandler

    handler = WSGIHandler()
    if tokens is None:
        tokens = {role: login(handler, username) for role, username in ctx["usernames"].items()}
    results = []
    for sc in scenarios(ctx):
        if only and sc.name not in only and sc.name != "livez":
            continue
        if sc.name in NAMED_ONLY and not (only and sc.name in only):
            continue
        results.append(measure(handler, ctx, sc, tokens, n, warmup))
    return results


def profile(ctx: dict, name: str, n: int, top: int = 45, callers: str = "", save: str = "") -> None:
    """cProfile over n requests of one scenario: the functions by own time, then by cumulative time
    (and who calls the functions whose names match `callers`, when given)."""
    import cProfile
    import pstats

    from django.core.handlers.wsgi import WSGIHandler

    handler = WSGIHandler()
    sc = next(sc for sc in scenarios(ctx) if sc.name == name)
    tokens = {} if sc.role == "none" else {sc.role: login(handler, ctx["usernames"][sc.role])}
    measure(handler, ctx, sc, tokens, 5)
    profiler = cProfile.Profile(time.process_time)
    profiler.enable()
    measure(handler, ctx, sc, tokens, n, warmup=0)
    profiler.disable()
    stats = pstats.Stats(profiler)
    if save:
        stats.dump_stats(save)  # for pstats or snakeviz
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(top)
    if callers:
        stats.print_callers(callers)


def show_sql(ctx: dict, name: str) -> None:
    """The statements of one request of a scenario (after a warm-up), in order: where its queries go."""
    from django.core.handlers.wsgi import WSGIHandler
    from django.db import connection

    handler = WSGIHandler()
    sc = next(sc for sc in scenarios(ctx) if sc.name == name)
    token = None if sc.role == "none" else login(handler, ctx["usernames"][sc.role])
    measure(handler, ctx, sc, {sc.role: token}, 0)
    statements: list[tuple[str, object]] = []

    def record(execute, sql, params, many, context):
        statements.append((sql, params))
        return execute(sql, params, many, context)

    method, path, body = sc.build(ctx, 0)
    with connection.execute_wrapper(record):
        code, _ = send(handler, method, path, body, token)
    print(f"{name}: {method} {path} -> {code}, {len(statements)} statements")
    for i, (sql, params) in enumerate(statements, 1):
        print(f"{i:>3}. {sql}\n     params: {params!r}")


def table(results: list[Result]) -> str:
    ceiling = next((r.median_ms for r in results if r.name == "livez"), None)
    lines = [
        f"{'scenario':<22}{'status':>7}{'median ms':>11}{'p95 ms':>9}{'x livez':>9}{'queries':>9}",
        "-" * 67,
    ]
    for r in results:
        ratio = f"{r.median_ms / ceiling:.1f}" if ceiling else "-"
        lines.append(
            f"{r.name:<22}{r.status:>7}{r.median_ms:>11.2f}{r.p95_ms:>9.2f}{ratio:>9}{r.queries_per_request:>9}"
        )
    return "\n".join(lines)


def summary(results: list[Result]) -> dict:
    ceiling = next((r.median_ms for r in results if r.name == "livez"), None)
    return {
        r.name: {
            "status": r.status,
            "median_ms": round(r.median_ms, 3),
            "p95_ms": round(r.p95_ms, 3),
            "ratio_to_livez": round(r.median_ms / ceiling, 2) if ceiling else None,
            "queries_per_request": r.queries_per_request,
        }
        for r in results
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("-n", type=int, default=200, help="requests per scenario")
    parser.add_argument("--only", default="", help="comma-separated scenario names (livez always runs)")
    parser.add_argument("--role", choices=("runtime", "owner"), default="runtime", help="database role of the requests")
    parser.add_argument("--json", help="write the figures to this file")
    parser.add_argument("--profile", default="", help="cProfile this one scenario instead (stats by tottime)")
    parser.add_argument("--sql", default="", help="print the statements of one request of this scenario instead")
    parser.add_argument("--callers", default="", help="with --profile: who calls the functions matching this")
    parser.add_argument("--save", default="", help="with --profile: write the raw profile to this file")
    args = parser.parse_args(argv)

    from bench.benchdb import bench_db_name, database_exists, use_bench_database

    if not database_exists(bench_db_name(args.scale)):
        print(f"no bench database at scale {args.scale:g}: run `python -m bench.seed --scale {args.scale:g}`")
        return 2
    use_bench_database(args.scale)
    configure_environment()
    import django

    django.setup()
    from bench.probe import collect_context

    ctx = collect_context(args.scale)
    if args.role == "runtime":
        print(f"requests as database role {use_runtime_role()}")
    only = {n.strip() for n in args.only.split(",") if n.strip()} or None
    # As kat_clinic/wsgi.py does in a gunicorn worker once the application is loaded.
    from kat_clinic.serving_gc import tune_for_serving

    tune_for_serving()
    try:
        if args.sql:
            show_sql(ctx, args.sql)
            return 0
        if args.profile:
            profile(ctx, args.profile, args.n, callers=args.callers, save=args.save)
            return 0
        results = run(ctx, args.n, only)
    finally:
        # Signed-in devices per user are limited: the run's tokens go, so that the next run can log in.
        revoke_tokens([*ctx["tokens"].values(), *ISSUED])
    print(f"{args.n} requests per scenario, CPU of this process (time.process_time), scale {args.scale:g}")
    print(table(results))
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(summary(results), fh, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
