"""A private `redis-server` for tests that must do what no shared Redis may suffer (FLUSHALL).

`private_redis()` starts the machine's `redis-server` on a free local port, keeping nothing on
disk, and stops it when the context ends. The `use_private_redis` fixture in a test module points
Django's settings and the Celery app at it for the test, so the machine's shared Redis (which
other checkouts' suites and demo workers use) is never touched.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator

import redis

START_SECONDS = 15


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def private_redis() -> Iterator[str]:
    """Yield the URL of a fresh redis-server of our own; stop it afterwards."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError("redis-server is not installed; the broker-flush tests need their own Redis")
    port = _free_port()
    command = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    try:
        client = redis.Redis.from_url(url)
        deadline = time.monotonic() + START_SECONDS
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"private redis-server on port {port} did not start") from None
                time.sleep(0.05)
        client.close()
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextlib.contextmanager
def celery_pointed_at(url: str, settings) -> Iterator[None]:
    """Point Django's REDIS_URL / CELERY_BROKER_URL and the Celery app's broker at `url` meanwhile."""
    from kat_clinic.celery import app

    def forget_pools() -> None:
        # The app caches its connection and producer pools for the broker it first saw; Celery
        # offers no public reset, so drop both and let the next publish build them for the new URL.
        app._pool = None
        app.amqp._producer_pool = None

    previous = app.conf.broker_url
    settings.REDIS_URL = url
    settings.CELERY_BROKER_URL = url
    forget_pools()
    app.conf.broker_url = url
    try:
        yield
    finally:
        forget_pools()
        app.conf.broker_url = previous
