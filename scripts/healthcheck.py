"""Container health checks that need nothing but Python: the slim image has no pgrep, ps or curl.

    python scripts/healthcheck.py web      # GET http://127.0.0.1:$PORT/livez answers 200
    python scripts/healthcheck.py worker   # a `celery ... worker` process is running
    python scripts/healthcheck.py beat     # a `celery ... beat` process is running

Exit status 0 when healthy, 1 otherwise (with the reason on stderr), as Docker expects.
"""

from __future__ import annotations

import os
import sys
import urllib.request
from pathlib import Path


def web() -> str:
    url = f"http://127.0.0.1:{os.environ.get('PORT', '8000')}/livez"
    try:
        with urllib.request.urlopen(url, timeout=3) as response:
            return "" if response.status == 200 else f"{url} answered {response.status}"
    except OSError as exc:
        return f"{url}: {exc}"


def process_running(role: str, proc: Path = Path("/proc")) -> str:
    """Empty when a process whose command line is `celery ... <role>` runs; else why not."""
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:  # the process ended while we looked
            continue
        words = [Path(a.decode(errors="replace")).name for a in argv if a]
        if any(w == "celery" or w.startswith("celery") for w in words) and role in words:
            return ""
    return f"no celery {role} process is running"


def main(argv: list[str]) -> int:
    checks = {"web": web, "worker": lambda: process_running("worker"), "beat": lambda: process_running("beat")}
    if len(argv) != 2 or argv[1] not in checks:
        print(f"usage: healthcheck.py {'|'.join(checks)}", file=sys.stderr)
        return 2
    problem = checks[argv[1]]()
    if problem:
        print(problem, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
