"""Wait until PostgreSQL answers (and, with --migrated, until every migration is applied).

Used by the container entrypoint (scripts/docker-entrypoint.sh): Python only, since the slim image
has no pg_isready. `--migrated` lets the worker and beat start only once the web container's
entrypoint has migrated, whatever order the containers come up in. Exits 1 after --timeout seconds.

    python scripts/wait_for_postgres.py postgres://kat_runtime:...@postgres:5432/kat_clinic
    python scripts/wait_for_postgres.py --migrated "$DATABASE_URL"
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def answers(url: str) -> str:
    """Empty when a connection with these credentials works; else what went wrong."""
    import psycopg2

    try:
        psycopg2.connect(url, connect_timeout=3).close()
    except psycopg2.Error as exc:
        return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return ""


def unapplied(url: str) -> list[str]:
    """The migrations not applied yet in the database at `url` (Django's own migration plan)."""
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kat_clinic.settings")
    sys.path.insert(0, str(ROOT))
    import django
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    django.setup()
    try:
        executor = MigrationExecutor(connection)
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
        return [f"{m.app_label}.{m.name}" for m, _ in plan]
    finally:
        connection.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url", help="the connection to try (postgres://role:password@host:port/database)")
    parser.add_argument("--migrated", action="store_true", help="also wait until no migration is left to apply")
    parser.add_argument("--timeout", type=float, default=float(os.environ.get("WAIT_FOR_POSTGRES_SECONDS", 120)))
    args = parser.parse_args()
    deadline = time.monotonic() + args.timeout
    problem = "not tried"
    while time.monotonic() < deadline:
        problem = answers(args.url)
        if not problem and args.migrated:
            left = unapplied(args.url)
            problem = f"{len(left)} migrations not applied yet (first: {left[0]})" if left else ""
        if not problem:
            return 0
        time.sleep(1)
    print(f"PostgreSQL not ready after {args.timeout:.0f} s: {problem}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
