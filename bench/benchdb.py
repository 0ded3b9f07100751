"""The bench's own databases: one per data scale, derived from DATABASE_URL's server, never its database.

The dev and test databases are never touched: the bench connects to the same server with a name of
its own (`kat_clinic_bench` at scale 1, `kat_clinic_bench_x0_1` at 0.1, `kat_clinic_bench_x10` at 10).
"""

from __future__ import annotations

import os
import urllib.parse

DEFAULT_SERVER_URL = "postgres://postgres@127.0.0.1:5432/postgres"
BENCH_DB_PREFIX = "kat_clinic_bench"
# Another checkout (say, an integration preview of several branches) can keep its own databases.
DB_PREFIX = os.environ.get("BENCH_DB_PREFIX", BENCH_DB_PREFIX)
if not DB_PREFIX.startswith(BENCH_DB_PREFIX):
    raise ValueError(f"BENCH_DB_PREFIX must start with {BENCH_DB_PREFIX!r}")


def scale_label(scale: float) -> str:
    text = f"{scale:g}"
    return text.replace(".", "_")


def bench_db_name(scale: float) -> str:
    return DB_PREFIX if scale == 1 else f"{DB_PREFIX}_x{scale_label(scale)}"


def _server_url() -> urllib.parse.SplitResult:
    return urllib.parse.urlsplit(os.environ.get("DATABASE_URL") or DEFAULT_SERVER_URL)


def bench_db_url(scale: float) -> str:
    parts = _server_url()
    return urllib.parse.urlunsplit(parts._replace(path="/" + bench_db_name(scale)))


def maintenance_dsn() -> str:
    parts = _server_url()
    return urllib.parse.urlunsplit(parts._replace(path="/postgres"))


def database_exists(name: str) -> bool:
    import psycopg2

    with psycopg2.connect(maintenance_dsn()) as conn, conn.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        return cur.fetchone() is not None


def create_database(name: str, *, drop_first: bool = False) -> None:
    """Create the bench database (dropping it first if asked). Refuses any name outside the bench prefix."""
    import psycopg2
    from psycopg2 import sql

    if not name.startswith(BENCH_DB_PREFIX):
        raise ValueError(f"refusing to manage database {name!r}: not a bench database")
    conn = psycopg2.connect(maintenance_dsn())
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            if drop_first:
                cur.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            if cur.fetchone() is None:
                cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    finally:
        conn.close()


def use_bench_database(scale: float) -> str:
    """Point this process's Django at the bench database for `scale`; call before django.setup()."""
    url = bench_db_url(scale)
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kat_clinic.settings")
    return url
