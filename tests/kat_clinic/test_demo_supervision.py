"""The demo's supervisor (scripts/supervise.sh), run with stub commands: a process that is killed is
restarted and named in the log with how to start it by hand, and the other processes stay up."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# A stub "process": records its pid, then sleeps until it is killed.
STUB = "bash -c 'echo $$ >> \"$STUB_DIR/$0.pids\"; exec sleep 300'"


def _pids(directory: Path, name: str) -> list[int]:
    path = directory / f"{name}.pids"
    return [int(line) for line in path.read_text().split()] if path.exists() else []


def _until(condition, *, limit_seconds: float = 30.0) -> None:
    """Poll until `condition()` holds; the limit only keeps a broken supervisor from hanging the suite."""
    deadline = time.monotonic() + limit_seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("the supervisor did not get there")
        time.sleep(0.1)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.fixture
def supervisor(tmp_path):
    """The supervisor running "web", "worker" and "beat" stubs, as scripts/demo.sh runs the real ones."""
    script = (
        "source scripts/supervise.sh\n"
        "trap 'stop_supervised; exit 0' TERM\n"
        f"supervise web {STUB} web\n"
        f"supervise worker {STUB} worker\n"
        f"supervise beat {STUB} beat\n"
        'wait "${supervised_pids[@]}"\n'
    )
    log = (tmp_path / "demo.log").open("w")
    process = subprocess.Popen(
        ["bash", "-c", script],
        cwd=ROOT,
        env={**os.environ, "STUB_DIR": str(tmp_path), "SUPERVISE_RESTART_DELAY": "1"},
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    _until(lambda: all(_pids(tmp_path, name) for name in ("web", "worker", "beat")))
    yield tmp_path, process
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    process.wait(timeout=30)
    log.close()


def test_a_killed_worker_is_restarted_and_web_and_beat_stay_up(supervisor):
    # given
    directory, _ = supervisor
    [web], [worker], [beat] = (_pids(directory, name) for name in ("web", "worker", "beat"))

    # when: the worker dies as under `kill -9`
    os.kill(worker, signal.SIGKILL)
    _until(lambda: len(_pids(directory, "worker")) == 2)

    # then: a new worker; web and beat are the same processes, still running
    restarted = _pids(directory, "worker")[1]
    assert restarted != worker and _alive(restarted)
    assert (_pids(directory, "web"), _pids(directory, "beat")) == ([web], [beat])
    assert _alive(web) and _alive(beat)
    log = (directory / "demo.log").read_text()
    assert (
        "[demo] worker stopped (exit status 137); restarting it in 1s. To start it by hand: "
        'bash -c echo $$ >> "$STUB_DIR/$0.pids"; exec sleep 300 worker'
    ) in log


def test_a_crashed_beat_is_restarted_too(supervisor):
    # given
    directory, _ = supervisor
    [beat] = _pids(directory, "beat")

    # when
    os.kill(beat, signal.SIGTERM)

    # then
    _until(lambda: len(_pids(directory, "beat")) == 2)
    assert _alive(_pids(directory, "beat")[1])
    assert "[demo] beat stopped (exit status 143)" in (directory / "demo.log").read_text()


def test_stopping_the_demo_stops_every_supervised_process(supervisor):
    # given
    directory, process = supervisor
    running = [pid for name in ("web", "worker", "beat") for pid in _pids(directory, name)]

    # when: Ctrl-C / TERM to the demo
    os.kill(process.pid, signal.SIGTERM)
    process.wait(timeout=30)

    # then
    _until(lambda: not any(_alive(pid) for pid in running))
    assert process.returncode == 0
