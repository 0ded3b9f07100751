"""A provider for reliability tests that records every send in an append-only file.

It lives outside PostgreSQL and outside Redis, so neither a rolled-back transaction nor a Redis
flush can erase what it saw. It dedupes nothing: two sends of one key are two lines, which is how
the tests see a double delivery. `lookup` answers from the same file, as a provider API would.

Set FOLLOWUP_TEST_PROVIDER_DIR to a folder. Creating `<dir>/block` makes every send record itself,
touch `<dir>/reached` and then wait until `block` is removed: a worker killed while it waits has
reached the provider but has not recorded the delivery in the database.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from pathlib import Path

from followups.channels import OutboundMessage, Provider


def _dir() -> Path:
    return Path(os.environ["FOLLOWUP_TEST_PROVIDER_DIR"])


def sent_counts(directory: Path) -> Counter[str]:
    log = directory / "sent.log"
    if not log.exists():
        return Counter()
    return Counter(line.split("\t", 1)[0] for line in log.read_text().splitlines() if line)


class RecordingProvider(Provider):
    def send(self, message: OutboundMessage) -> str:
        directory = _dir()
        line = f"{message.idempotency_key}\t{message.channel}\t{message.to}\n"
        # O_APPEND: concurrent writers from several workers never interleave a line.
        fd = os.open(directory / "sent.log", os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, line.encode())
            os.fsync(fd)
        finally:
            os.close(fd)
        if (directory / "block").exists():
            (directory / "reached").touch()
            while (directory / "block").exists():
                time.sleep(0.05)
        return f"rec-{message.idempotency_key}"

    def lookup(self, idempotency_key: str) -> bool | None:
        return sent_counts(_dir())[idempotency_key] > 0
