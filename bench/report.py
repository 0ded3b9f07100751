"""Targets, the Markdown report and the latency-against-scale chart, from the per-scale JSON results."""

from __future__ import annotations

import json
import statistics
from pathlib import Path

from bench.scenarios import SCENARIOS

CEILING = "livez (ceiling)"
RATIO_TARGET = 0.40
RSS_TARGET_MB = 200
GROWTH_TARGET = 1.5
CPU_FLAT_TOLERANCE = 0.15
# The round-2 performance goals, judged on the one-at-a-time run (the workers' CPU with nothing
# contending for the cores): hot reads at most 6x the ceiling's CPU with a p95 of 15 ms; booking
# and the vitals write by their own CPU and query budgets.
HOT_READ_CPU_RATIO = 6.0
HOT_READ_SERIAL_P95_MS = 15.0
WRITE_GOALS = {
    "whole-program booking": {"cpu_ms": 60.0, "queries": 40},
    "vitals write": {"cpu_ms": 5.0},
    "vitals batch (60 readings)": {"cpu_ms": 20.0},
}
BY_NAME = {s.name: s for s in SCENARIOS}


def evaluate(results: dict) -> None:
    """Add ratio to the ceiling and target verdicts to each scenario of one scale's results."""
    scenarios = results["scenarios"]
    ceiling = scenarios.get(CEILING, {}).get("closed", {}).get("throughput_rps") or 0
    results["ceiling_rps"] = ceiling
    for name, info in scenarios.items():
        if not info.get("available") or "closed" not in info:
            continue
        sc = BY_NAME.get(name)
        misses = []
        if ceiling:
            info["ratio_to_ceiling"] = round(info["closed"]["throughput_rps"] / ceiling, 3)
        if sc and sc.kind == "ceiling":
            continue
        if sc and sc.hot_read and info.get("ratio_to_ceiling", 1) < RATIO_TARGET:
            misses.append(f"throughput {info['ratio_to_ceiling']:.0%} of ceiling < {RATIO_TARGET:.0%}")
        measured = info.get("fixed_rate") or info["closed"]
        p95 = measured.get("p95_ms")
        if sc and sc.p95_target_ms and p95 is not None and p95 > sc.p95_target_ms:
            where = f"at {measured['target_rate_rps']:g}/s" if "target_rate_rps" in measured else "closed loop"
            misses.append(f"p95 {p95:.0f} ms {where} > {sc.p95_target_ms:g} ms")
        errors = info["closed"]["errors"] + (info.get("fixed_rate") or {}).get("errors", 0)
        if errors:
            misses.append(f"{errors} errors")
        info["missed"] = misses
    _evaluate_goals(scenarios)
    rss = (results.get("rss") or {}).get("max_worker_mb")
    results["rss_ok"] = rss is not None and rss < RSS_TARGET_MB


def _serial_cpu(info: dict) -> float | None:
    return (info.get("serial") or {}).get("worker_cpu_ms_per_request")


def _evaluate_goals(scenarios: dict) -> None:
    """Each scenario's round-2 goal and whether the one-at-a-time run meets it (`goal`, `goal_missed`)."""
    ceiling_cpu = _serial_cpu(scenarios.get(CEILING, {}))
    for name, info in scenarios.items():
        sc = BY_NAME.get(name)
        cpu = _serial_cpu(info)
        if not info.get("available") or sc is None or sc.kind == "ceiling" or cpu is None:
            continue
        misses = []
        if sc.hot_read:
            info["goal"] = f"≤ {HOT_READ_CPU_RATIO:g}× ceiling CPU, serial p95 ≤ {HOT_READ_SERIAL_P95_MS:g} ms"
            if ceiling_cpu:
                info["cpu_ratio_to_ceiling"] = round(cpu / ceiling_cpu, 1)
                if info["cpu_ratio_to_ceiling"] > HOT_READ_CPU_RATIO:
                    misses.append(f"CPU {info['cpu_ratio_to_ceiling']:g}× ceiling")
            p95 = (info.get("serial") or {}).get("p95_ms")
            if p95 is not None and p95 > HOT_READ_SERIAL_P95_MS:
                misses.append(f"serial p95 {p95:g} ms")
        elif name in WRITE_GOALS:
            goal = WRITE_GOALS[name]
            info["goal"] = f"CPU ≤ {goal['cpu_ms']:g} ms" + (
                f", ≤ {goal['queries']} queries" if "queries" in goal else ""
            )
            if cpu > goal["cpu_ms"]:
                misses.append(f"CPU {cpu:g} ms")
            if "queries" in goal and (info.get("queries_per_request") or 0) > goal["queries"]:
                misses.append(f"{info['queries_per_request']} queries")
        else:
            continue
        info["goal_missed"] = misses


def goals_table(r: dict) -> list[str]:
    """The round-2 goals at one scale: the one-at-a-time run's worker CPU next to the ceiling's."""
    lines = [
        f"Round-2 goals at scale {r['scale']:g}, from the one-at-a-time run (worker CPU per request with one "
        "request in flight; the table above has the CPU under the closed loop, where six users and four "
        "workers share the two cores):",
        "",
        "| endpoint | worker CPU ms/req (serial) | × ceiling CPU | serial p95 ms | queries/req | goal | verdict |",
        "|---|---:|---:|---:|---:|---|---|",
    ]
    for name, info in r["scenarios"].items():
        cpu = _serial_cpu(info)
        if not info.get("available") or cpu is None or (name != CEILING and "goal" not in info):
            continue
        verdict = "ceiling" if name == CEILING else ("; ".join(info["goal_missed"]) or "met")
        if name != CEILING and info["goal_missed"]:
            verdict = "missed: " + verdict
        lines.append(
            f"| {name} | {cpu:.2f} | {_fmt(info.get('cpu_ratio_to_ceiling'))} | "
            f"{_fmt((info.get('serial') or {}).get('p95_ms'))} | {_fmt(info.get('queries_per_request'))} | "
            f"{info.get('goal', '–')} | {verdict} |"
        )
    return lines + [""]


def evaluate_one_worker(one_worker: dict) -> None:
    """Each hot read's CPU on one worker as a multiple of the ceiling's there (`ratio`: the median of
    the rounds' ratios where it was measured in rounds), and whether it is within the goal (`met`)."""
    ceiling = one_worker.get(CEILING) or {}
    for name, info in one_worker.items():
        if name == CEILING or not ceiling.get("worker_cpu_ms_per_request"):
            continue
        paired = list(zip(info.get("rounds_ms") or [], ceiling.get("rounds_ms") or [], strict=False))
        if paired and len(paired) == len(info["rounds_ms"]) == len(ceiling["rounds_ms"]):
            # Measured in rounds (`bench.run.one_worker_cpu`): each round's ratio to that round's ceiling.
            info["ratio"] = round(statistics.median(cpu / ceiling_cpu for cpu, ceiling_cpu in paired), 1)
        else:
            info["ratio"] = round(info["worker_cpu_ms_per_request"] / ceiling["worker_cpu_ms_per_request"], 1)
        info["met"] = info["ratio"] <= HOT_READ_CPU_RATIO


def one_worker_table(r: dict) -> list[str]:
    """The hot reads' CPU on one gunicorn worker, one request at a time (the issue's own measure)."""
    one_worker = r.get("one_worker") or {}
    if not one_worker:
        return []
    lines = [
        f"Web CPU per request on one gunicorn worker at scale {r['scale']:g}, one request at a time (the "
        "measure the round-2 issue gave its figures in; above, four workers take the requests in turn):",
        "",
        "| endpoint | worker CPU ms/req | × ceiling CPU | serial p95 ms | goal | verdict |",
        "|---|---:|---:|---:|---|---|",
    ]
    for name, info in one_worker.items():
        if name == CEILING:
            verdict, goal = "ceiling", "–"
        else:
            goal = f"≤ {HOT_READ_CPU_RATIO:g}× ceiling CPU"
            verdict = "–" if "met" not in info else ("met" if info["met"] else "missed")
        lines.append(
            f"| {name} | {info['worker_cpu_ms_per_request']:.2f} | {_fmt(info.get('ratio'))} | "
            f"{_fmt(info.get('p95_ms'))} | {goal} | {verdict} |"
        )
    return lines + [""]


def interleaved_growth_table(growth: dict) -> list[str]:
    """The table of `bench.growth`: both scales served at once, their rounds alternated."""
    a, b = (f"{s:g}" for s in growth["scales"])
    lines = [
        f"## Growth with data, {a} against {b}, measured side by side",
        "",
        f"`python -m bench.growth`: one worker per scale at once, {growth['rounds']} rounds alternating which",
        f"scale goes first, {growth['seconds_per_measure']:g} s of one-at-a-time requests per endpoint, scale",
        "and round. CPU: the worker's per request, median of the rounds; change: the median of the",
        "rounds' own ratios, with their range.",
        "",
        f"| endpoint | queries @{a} | queries @{b} | CPU ms @{a} | CPU ms @{b} | change | rounds' range | flat |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for name, e in growth["endpoints"].items():
        change, spread = e["cpu_change"], e["cpu_change_range"]
        change_text = "–" if change is None else f"{change:+.0%}"
        spread_text = "–" if spread is None else f"{spread[0]:+.0%} to {spread[1]:+.0%}"
        lines.append(
            f"| {name} | {_fmt(e['queries'][0])} | {_fmt(e['queries'][1])} | {_fmt(e['cpu_ms'][a])} | "
            f"{_fmt(e['cpu_ms'][b])} | {change_text} | {spread_text} | {'yes' if e['flat'] else '**no**'} |"
        )
    return lines + [
        "",
        f"Flat: the same queries at both scales and the change within ±{CPU_FLAT_TOLERANCE:.0%}.",
        "",
    ]


def load_all(results_dir: Path) -> list[dict]:
    out = []
    for f in sorted(results_dir.glob("scale-*.json")):
        try:
            out.append(json.loads(f.read_text()))
        except json.JSONDecodeError:
            continue
    return sorted(out, key=lambda r: r["scale"])


def _fmt(v, suffix: str = "") -> str:
    if v is None or v == "":
        return "–"
    if isinstance(v, float):
        return f"{v:.1f}{suffix}"
    return f"{v}{suffix}"


def scale_table(r: dict) -> list[str]:
    lines = [
        f"### Scale {r['scale']:g} ({r['database']}, run {r['started_at']})",
        "",
        _seed_line(r),
        f"Server: gunicorn {r['server']['workers']} × {r['server']['worker_class']} worker(s); "
        f"closed loop {r['load']['concurrency']} users × {r['load']['duration_s']:g} s per endpoint; "
        f"fixed rate {r['load']['fixed_rate_rps']:g} req/s × {r['load']['fixed_rate_duration_s']:g} s. "
        f"Load average before/after: {r['machine']['loadavg_before']} / {r['machine'].get('loadavg_after')}.",
        "",
        "| endpoint | serial p50 / p95 ms | loaded p50 ms | loaded p95 ms | loaded p99 ms | req/s | × ceiling "
        "| errors | queries/req | worker CPU ms/req | fixed-rate p95 ms | target p95 | verdict |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for name, info in r["scenarios"].items():
        if not info.get("available"):
            lines.append(f"| {name} | | | | | | | | | | | | not available: {info.get('reason', '')} |")
            continue
        c = info.get("closed", {})
        f = info.get("fixed_rate", {})
        ser = info.get("serial", {})
        sc = BY_NAME.get(name)
        verdict = (
            "ceiling"
            if sc and sc.kind == "ceiling"
            else ("ok" if not info.get("missed") else "; ".join(info["missed"]))
        )
        fr = _fmt(f.get("p95_ms"))
        if f and f.get("achieved_rps") is not None:
            fr += f" (@{f['achieved_rps']:g}/s)"
        lines.append(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |".format(
                name,
                f"{_fmt(ser.get('p50_ms'))} / {_fmt(ser.get('p95_ms'))}",
                _fmt(c.get("p50_ms")),
                _fmt(c.get("p95_ms")),
                _fmt(c.get("p99_ms")),
                _fmt(c.get("throughput_rps")),
                f"{info['ratio_to_ceiling']:.1%}" if info.get("ratio_to_ceiling") is not None else "–",
                c.get("errors", 0) + f.get("errors", 0),
                _fmt(info.get("queries_per_request")),
                _fmt(c.get("worker_cpu_ms_per_request")),
                fr,
                _fmt(sc.p95_target_ms if sc else None),
                verdict,
            )
        )
    rss = r.get("rss") or {}
    lines += [
        "",
        f"Gunicorn worker RSS after the run: {rss.get('workers_mb')} MB (max {rss.get('max_worker_mb')} MB, "
        f"target < {RSS_TARGET_MB} MB: {'ok' if r.get('rss_ok') else 'missed'}); master {rss.get('master_mb')} MB.",
    ]
    if r.get("profiles"):
        lines.append("Profiles of what missed a target: " + ", ".join(f"`{p}`" for p in r["profiles"].values()))
    return lines + [""]


def _seed_line(r: dict) -> str:
    s = r["seed"]
    counts = ", ".join(f"{k} {v:,}" for k, v in (s.get("counts") or {}).items())
    how = "reused (seeded earlier in" if s.get("reused") else "seeded in"
    skipped = s.get("skipped") or {}
    extra = f" Skipped: {'; '.join(f'{k}: {v}' for k, v in skipped.items())}." if skipped else ""
    return f"Data: {counts}. {how} {s.get('seconds')} s{')' if s.get('reused') else ''}.{extra}"


def growth_table(runs: list[dict]) -> list[str]:
    if len(runs) < 2:
        return []
    scales = [r["scale"] for r in runs]
    head = (
        "| endpoint | "
        + " | ".join(f"p95 @{s:g}" for s in scales)
        + " | "
        + " | ".join(f"queries @{s:g}" for s in scales)
        + " | "
        + " | ".join(f"CPU ms @{s:g}" for s in scales)
    )
    lines = [
        "## Growth with data",
        "",
        head + " | p95 1→10 | CPU 1→10 |",
        "|---|" + "---:|" * (3 * len(scales) + 2),
    ]
    names = [s.name for s in SCENARIOS]
    for name in names:
        p95s, qs, cpus = [], [], []
        for r in runs:
            info = r["scenarios"].get(name, {})
            m = info.get("serial") or info.get("closed") or {}
            p95s.append(m.get("p95_ms"))
            qs.append(info.get("queries_per_request"))
            cpus.append(_serial_cpu(info))
        if all(p is None for p in p95s):
            continue
        growth, cpu_growth = "–", "–"
        if 1.0 in scales and 10.0 in scales:
            one, ten = scales.index(1.0), scales.index(10.0)
            a, b = p95s[one], p95s[ten]
            if a and b:
                growth = f"{b / a:.2f}×" + (" (missed)" if b / a >= GROWTH_TARGET else "")
            a, b = cpus[one], cpus[ten]
            if a and b:
                change = b / a - 1
                cpu_growth = f"{change:+.0%}" + (" (missed)" if abs(change) > CPU_FLAT_TOLERANCE else "")
        lines.append(
            f"| {name} | "
            + " | ".join(_fmt(p) for p in p95s)
            + " | "
            + " | ".join(_fmt(q) for q in qs)
            + " | "
            + " | ".join(_fmt(c) for c in cpus)
            + f" | {growth} | {cpu_growth} |"
        )
    return lines + [
        "",
        "p95 and CPU here are the serial run's (one request at a time): service time without queueing",
        "and the workers' own CPU, so the growth reflects the data, not what else the shared machine was",
        f"running. The goal: the same queries at every scale and CPU within ±{CPU_FLAT_TOLERANCE:.0%} from 1 to 10.",
        "",
    ]


def chart(runs: list[dict], target: Path) -> bool:
    """Two panels against data scale, one request at a time: p95 latency and worker CPU per request."""
    if not runs:
        return False
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (latency, cpu) = plt.subplots(1, 2, figsize=(13, 5.5), dpi=100)

    def p95(info: dict) -> float | None:
        return (info.get("serial") or info.get("closed") or {}).get("p95_ms")

    panels = (
        (latency, p95, "p95 latency, ms", "p95 latency"),
        (cpu, _serial_cpu, "worker CPU per request, ms", "Worker CPU per request"),
    )
    for ax, value, label, title in panels:
        plotted = 0
        for sc in SCENARIOS:
            xs, ys = [], []
            for r in runs:
                y = value(r["scenarios"].get(sc.name, {}))
                if y is not None:
                    xs.append(r["scale"])
                    ys.append(y)
            if xs:
                ax.plot(xs, ys, marker="o", label=sc.name, linestyle="--" if sc.kind == "ceiling" else "-")
                plotted += 1
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("data scale (1 = 10 clinics, 20k patients, ~200k sessions)")
        ax.set_ylabel(f"{label} (one request at a time)")
        ax.set_title(f"{title} against data scale")
        ax.grid(True, which="both", alpha=0.3)
        if plotted:
            ax.legend(fontsize=7, loc="upper left")
    fig.suptitle("KAT Clinic API: cost against data scale")
    fig.tight_layout()
    fig.savefig(target)
    plt.close(fig)
    return True


def write_all(results_dir: Path) -> None:
    runs = load_all(results_dir)
    lines = [
        "# Benchmark results",
        "",
        "Generated by `make bench` / `make bench-scale` (bench/run.py). Latencies are client-side on loopback,",
        "with the load generator sharing the machine's 2 cores with gunicorn; × ceiling is the endpoint's",
        "closed-loop throughput over that of `/livez` (same process, same middleware stack minus the API).",
        "Queries per request come from a single-request probe through Django's test client.",
        "",
    ]
    for r in runs:
        lines += scale_table(r)
        lines += goals_table(r)
        lines += one_worker_table(r)
    lines += growth_table(runs)
    growth_file = results_dir / "growth.json"
    if growth_file.exists():
        lines += interleaved_growth_table(json.loads(growth_file.read_text()))
    if chart(runs, results_dir / "latency_vs_scale.png"):
        lines += ["![p95 latency and worker CPU against data scale](latency_vs_scale.png)", ""]
    (results_dir / "latest.md").write_text("\n".join(lines))
    summary = {
        "runs": [
            {
                "scale": r["scale"],
                "started_at": r["started_at"],
                "ceiling_rps": r.get("ceiling_rps"),
                "rss": r.get("rss"),
                "seed": r.get("seed"),
                "one_worker": r.get("one_worker"),
                "scenarios": {
                    n: {
                        k: v
                        for k, v in i.items()
                        if k
                        in (
                            "available",
                            "reason",
                            "queries_per_request",
                            "ratio_to_ceiling",
                            "missed",
                            "path",
                            "goal",
                            "goal_missed",
                            "cpu_ratio_to_ceiling",
                        )
                    }
                    | {
                        "closed": {
                            k: (i.get("closed") or {}).get(k)
                            for k in (
                                "p50_ms",
                                "p95_ms",
                                "p99_ms",
                                "throughput_rps",
                                "errors",
                                "worker_cpu_ms_per_request",
                            )
                        },
                        "fixed_rate_p95_ms": (i.get("fixed_rate") or {}).get("p95_ms"),
                        "serial_p50_ms": (i.get("serial") or {}).get("p50_ms"),
                        "serial_p95_ms": (i.get("serial") or {}).get("p95_ms"),
                        "serial_worker_cpu_ms_per_request": _serial_cpu(i),
                    }
                    for n, i in r["scenarios"].items()
                },
            }
            for r in runs
        ]
    }
    (results_dir / "latest.json").write_text(json.dumps(summary, indent=2))
