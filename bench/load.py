"""A small bounded HTTP load client: closed loop (N concurrent users, as fast as they can) and open loop
(a fixed arrival rate). Loopback only, stops by itself after a request count or a duration.

Locust would do the same job; this client keeps the harness in one process with exact per-request
records, and spends less of the shared 2-core machine on the load generator than gevent would.
"""

from __future__ import annotations

import http.client
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

# (method, path, json body or None, headers)
Request = tuple[str, str, dict | list | None, dict[str, str]]
RequestFactory = Callable[[int], Request]


@dataclass
class Sample:
    latency_s: float
    status: int


@dataclass
class RunResult:
    samples: list[Sample] = field(default_factory=list)
    elapsed_s: float = 0.0
    errors: dict[str, int] = field(default_factory=dict)  # status or exception name -> count
    mode: str = "closed"
    attempted: int = 0
    target_rate: float | None = None

    def summary(self) -> dict:
        lat = sorted(s.latency_s for s in self.samples)
        ok = [s for s in self.samples if 200 <= s.status < 400]
        n = len(lat)
        out = {
            "mode": self.mode,
            "requests": n,
            "ok": len(ok),
            "errors": n - len(ok) + sum(v for k, v in self.errors.items() if not k.isdigit() and k != "not_sent"),
            "not_sent": self.errors.get("not_sent", 0),
            "error_kinds": dict(self.errors),
            "elapsed_s": round(self.elapsed_s, 2),
            "throughput_rps": round(len(ok) / self.elapsed_s, 1) if self.elapsed_s else 0.0,
        }
        if self.target_rate:
            out["target_rate_rps"] = self.target_rate
            out["achieved_rps"] = round(n / self.elapsed_s, 1) if self.elapsed_s else 0.0
        if n:
            out |= {
                "p50_ms": round(_pct(lat, 50) * 1000, 1),
                "p95_ms": round(_pct(lat, 95) * 1000, 1),
                "p99_ms": round(_pct(lat, 99) * 1000, 1),
                "mean_ms": round(sum(lat) / n * 1000, 1),
                "max_ms": round(lat[-1] * 1000, 1),
            }
        return out


def _pct(sorted_values: list[float], pct: float) -> float:
    if not sorted_values:
        return 0.0
    k = (len(sorted_values) - 1) * pct / 100
    lo = int(k)
    hi = min(lo + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (k - lo)


class _Client:
    """One keep-alive connection; reconnects when the server closes (gunicorn sync workers do)."""

    def __init__(self, host: str, port: int, timeout: float) -> None:
        self.host, self.port, self.timeout = host, port, timeout
        self.conn = http.client.HTTPConnection(host, port, timeout=timeout)

    def send(self, req: Request) -> int:
        method, path, body, headers = req
        data = None
        hdrs = {"Accept": "application/json", **headers}
        if body is not None:
            data = json.dumps(body).encode()
            hdrs["Content-Type"] = "application/json"
        for attempt in range(2):
            try:
                self.conn.request(method, path, body=data, headers=hdrs)
                resp = self.conn.getresponse()
                resp.read()
                if resp.will_close:
                    self.conn.close()
                return resp.status
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # A kept-alive socket the server already closed: retry once on a fresh one.
                self.conn.close()
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
                if attempt:
                    raise
        raise RuntimeError("unreachable")

    def close(self) -> None:
        self.conn.close()


def closed_loop(
    host: str,
    port: int,
    factory: RequestFactory,
    *,
    concurrency: int,
    duration_s: float,
    max_requests: int | None = None,
    timeout_s: float = 30.0,
) -> RunResult:
    """`concurrency` users send back-to-back requests until `duration_s` or `max_requests`."""
    result = RunResult(mode="closed")
    lock = threading.Lock()
    counter = iter(range(10**12))
    deadline = time.perf_counter() + duration_s

    def user() -> None:
        client = _Client(host, port, timeout_s)
        local: list[Sample] = []
        errs: dict[str, int] = {}
        while time.perf_counter() < deadline:
            with lock:
                i = next(counter)
            if max_requests is not None and i >= max_requests:
                break
            with lock:
                result.attempted = max(result.attempted, i + 1)
            req = factory(i)
            t0 = time.perf_counter()
            try:
                status = client.send(req)
            except Exception as exc:  # a refused or timed-out request is a result, not a crash
                errs[type(exc).__name__] = errs.get(type(exc).__name__, 0) + 1
                continue
            local.append(Sample(time.perf_counter() - t0, status))
            if status >= 400:
                errs[str(status)] = errs.get(str(status), 0) + 1
        client.close()
        with lock:
            result.samples.extend(local)
            for k, v in errs.items():
                result.errors[k] = result.errors.get(k, 0) + v

    t_start = time.perf_counter()
    threads = [threading.Thread(target=user, daemon=True) for _ in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(duration_s + timeout_s + 5)
    result.elapsed_s = time.perf_counter() - t_start
    return result


def fixed_rate(
    host: str,
    port: int,
    factory: RequestFactory,
    *,
    rate: float,
    duration_s: float,
    workers: int = 16,
    timeout_s: float = 30.0,
) -> RunResult:
    """Requests arrive every 1/rate s whatever the server's pace; latency counts from the intended
    send time, so a stalled server shows up as latency instead of being hidden (coordinated omission)."""
    result = RunResult(mode="fixed_rate", target_rate=rate)
    total = int(rate * duration_s)
    lock = threading.Lock()
    t_start = time.perf_counter() + 0.05
    next_index = iter(range(total))

    # A server slower than the rate builds a backlog; stop sending once it is this late, so the
    # run stays bounded, and report what was never sent.
    give_up_at = t_start + duration_s * 2 + 5

    def worker() -> None:
        client = _Client(host, port, timeout_s)
        local: list[Sample] = []
        errs: dict[str, int] = {}
        while True:
            with lock:
                i = next(next_index, None)
            if i is None:
                break
            if time.perf_counter() > give_up_at:
                errs["not_sent"] = errs.get("not_sent", 0) + 1
                continue
            intended = t_start + i / rate
            delay = intended - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            req = factory(i)
            try:
                status = client.send(req)
            except Exception as exc:
                errs[type(exc).__name__] = errs.get(type(exc).__name__, 0) + 1
                continue
            local.append(Sample(time.perf_counter() - intended, status))
            if status >= 400:
                errs[str(status)] = errs.get(str(status), 0) + 1
        client.close()
        with lock:
            result.samples.extend(local)
            for k, v in errs.items():
                result.errors[k] = result.errors.get(k, 0) + v

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(duration_s + timeout_s + 5)
    result.elapsed_s = max(time.perf_counter() - t_start, 1e-9)
    return result
