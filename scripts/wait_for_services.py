"""Fail fast, with a clear message, when the PostgreSQL or Redis the suite needs is not answering."""

from __future__ import annotations

import os
import socket
import sys
import time
from urllib.parse import urlparse


def reachable(url: str, default_port: int, seconds: float = 15.0) -> bool:
    parsed = urlparse(url)
    host, port = parsed.hostname or "127.0.0.1", parsed.port or default_port
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=1):
                return True
        except OSError:
            time.sleep(0.5)
    return False


def main() -> int:
    database = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/kat_clinic")
    redis = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    missing = [
        name for name, url, port in (("PostgreSQL", database, 5432), ("Redis", redis, 6379)) if not reachable(url, port)
    ]
    for name in missing:
        print(f"{name} is not answering; the test suite runs against the real service.", file=sys.stderr)
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
