"""Cost flat with data, measured with both scales served at once and their rounds alternated.

    python -m bench.growth [--scales 1,10] [--rounds 5] [--seconds 2]   # after both are seeded

`make bench-scale` measures one scale after the other, minutes apart, and a shared machine's speed
drifts by more than the ±15 % the goal allows (the ceiling itself moved by a third between two
scales of one run). Here one gunicorn worker serves each scale at the same time (production
settings, the runtime role, as `bench.run`), and each round sends every hot read to one scale,
then at once to the other, one request at a time, the first scale alternating from round to round;
whatever the machine does then touches both measures alike.

Per endpoint and scale: the worker's CPU per request (median over the rounds), the queries per
request (the probe's), and the change from the first scale to the second as the median of the
rounds' own ratios, with their range. The goal: the same queries, CPU within ±15 %.
Writes bench/results/growth.json; `bench.report` adds its table to latest.md.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from contextlib import ExitStack

from bench import report
from bench.benchdb import bench_db_name, database_exists, scale_label
from bench.load import closed_loop
from bench.run import HOST, RESULTS, TMP, Gunicorn, log, run_subprocess, runtime_database_url
from bench.scenarios import SCENARIOS

GROWTH_FILE = RESULTS / "growth.json"


def _cpu_per_request(server: Gunicorn, factory, seconds: float) -> float | None:
    closed_loop(HOST, server.port, factory, concurrency=1, duration_s=min(0.5, seconds))  # warm-up
    cpu0 = server.worker_cpu_s()
    serial = closed_loop(HOST, server.port, factory, concurrency=1, duration_s=seconds)
    if not serial.samples:
        return None
    return (server.worker_cpu_s() - cpu0) * 1000 / len(serial.samples)


def measure(scales: list[float], rounds: int, seconds: float) -> dict:
    contexts = {}
    for scale in scales:
        ctx_file = TMP / f"growth-ctx-{scale_label(scale)}.json"
        log(f"probing scale {scale:g} (context, tokens, queries per request)")
        run_subprocess(["bench.probe", "--scale", str(scale), "--out", str(ctx_file)], scale)
        contexts[scale] = json.loads(ctx_file.read_text())
    scenarios = [
        sc
        for sc in SCENARIOS
        if (sc.kind == "ceiling" or sc.hot_read)
        and all(contexts[s]["probe"].get(sc.name, {}).get("available") for s in scales)
    ]
    cpu: dict[str, dict[float, list[float]]] = {sc.name: {s: [] for s in scales} for sc in scenarios}
    with ExitStack() as stack:
        servers = {s: stack.enter_context(Gunicorn(s, 1, "sync", 1, runtime_database_url(s))) for s in scales}
        for round_ in range(rounds):
            order = scales if round_ % 2 == 0 else scales[::-1]
            log(f"round {round_ + 1} of {rounds}: scales {', '.join(f'{s:g}' for s in order)}")
            for sc in scenarios:
                for scale in order:

                    def factory(i: int, sc=sc, ctx=contexts[scale]):
                        return sc.request(ctx, i)

                    value = _cpu_per_request(servers[scale], factory, seconds)
                    if value is not None:
                        cpu[sc.name][scale].append(value)
    return {
        "scales": scales,
        "rounds": rounds,
        "seconds_per_measure": seconds,
        "endpoints": {
            name: _summary(by_scale, [contexts[s]["probe"][name].get("queries_per_request") for s in scales])
            for name, by_scale in cpu.items()
        },
    }


def _summary(by_scale: dict[float, list[float]], queries: list[int | None]) -> dict:
    first, second = (by_scale[s] for s in by_scale)
    ratios = [b / a for a, b in zip(first, second, strict=False) if a]
    change = statistics.median(ratios) - 1 if ratios else None
    return {
        "cpu_ms": {f"{s:g}": round(statistics.median(v), 2) if v else None for s, v in by_scale.items()},
        "cpu_ms_rounds": {f"{s:g}": [round(x, 2) for x in v] for s, v in by_scale.items()},
        "queries": queries,
        "cpu_change": None if change is None else round(change, 3),
        "cpu_change_range": [round(min(ratios) - 1, 3), round(max(ratios) - 1, 3)] if ratios else None,
        "flat": change is not None
        and abs(change) <= report.CPU_FLAT_TOLERANCE
        and len(set(queries)) == 1
        and None not in queries,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scales", default="1,10", help="the two scales compared, e.g. 1,10")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=2.0, help="one-at-a-time seconds per endpoint and scale")
    args = parser.parse_args(argv)
    scales = [float(s) for s in args.scales.split(",") if s.strip()]
    if len(scales) != 2:
        parser.error("give two scales")
    for scale in scales:
        if not database_exists(bench_db_name(scale)):
            print(f"no bench database at scale {scale:g}: run `python -m bench.seed --scale {scale:g}`")
            return 2
    TMP.mkdir(parents=True, exist_ok=True)
    results = measure(scales, args.rounds, args.seconds)
    GROWTH_FILE.write_text(json.dumps(results, indent=2))
    log(f"wrote {GROWTH_FILE.relative_to(RESULTS.parent.parent)}")
    report.write_all(RESULTS)
    for line in report.interleaved_growth_table(results):
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
