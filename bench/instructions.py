"""Instructions per request, counted by valgrind: a measure of one change that the machine's noise
does not move.

    python -m bench.instructions --only "day board,session chart" [--scale 1] [-n 50]
    python -m bench.instructions --only "day board" --against ../previous-main   # two checkouts

CPU time on a shared machine moves by ±20 % between runs of the same code minutes apart, which is
as much as most changes save. `valgrind --tool=callgrind` counts the instructions the process
executes instead: the same code, data and inputs give the same count whatever else the machine
is doing. Each scenario of `bench.cpu` (same settings: production-like, throttles counted in
Redis, the audit row of every request, the runtime role) runs in two processes under callgrind,
one sending `base` requests and one `base + n`, each after 20 warm-up requests, with a fixed
string hash seed and the garbage collector off once Django is loaded (a collection falling in one
run and not the other would be counted as the requests' own); the difference of their counts over
`n` is the instructions of one request, setup excluded. The hash seed sets how dicts and sets lay
out, which moves a count by a few per cent (`/livez`'s by 13 % here): compare two checkouts at
one seed, and at a second one (`--seed`) before trusting a change of a few per cent. With
`--against`, the other checkout (its own code, this one's bench and virtualenv) is counted the same
way, side by side.

What it does not count: time spent in the kernel (socket reads and writes) and waiting for
PostgreSQL or Redis, and how long each instruction takes (a cache miss costs more than an add).
It compares code paths, not machines; `bench.cpu` and `bench.run` give the milliseconds.
Runs two processes at a time; about a minute per process at scale 1.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
WARMUP = 20
_COLLECTED = re.compile(r"==\d+== Collected : (\d+)")


def collected(stderr: str) -> int:
    """The instruction count callgrind reports at exit."""
    found = _COLLECTED.findall(stderr)
    if not found:
        raise RuntimeError(f"callgrind reported no count:\n{stderr[-2000:]}")
    return int(found[-1])


def per_request(fewer: int, more: int, n: int) -> float:
    """Instructions of one request: the two runs' difference over the requests between them."""
    return (more - fewer) / n


def command(scenario: str, requests: int, scale: float) -> list[str]:
    return [
        "valgrind",
        "--tool=callgrind",
        "--callgrind-out-file=/dev/null",
        sys.executable,
        # This file by its path: a checkout counted `--against` may have no such module.
        str(Path(__file__).resolve()),
        "--child",
        scenario,
        "--requests",
        str(requests),
        "--scale",
        str(scale),
    ]


def count(tree: Path, scenario: str, requests: int, scale: float, seed: int = 0) -> int:
    """The instructions of one process of `tree`'s code sending `requests` requests (and the warm-up)."""
    env = {**os.environ, "PYTHONHASHSEED": str(seed), "PYTHONPATH": f"{tree}{os.pathsep}{HERE}"}
    done = subprocess.run(
        command(scenario, requests, scale), cwd=tree, env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"{scenario} in {tree} failed:\n{done.stderr[-2000:]}")
    return collected(done.stderr)


def child(scenario: str, requests: int, scale: float) -> None:
    """Inside valgrind: load Django as bench.cpu does, then send the scenario's requests."""
    import gc

    from bench import cpu
    from bench.benchdb import use_bench_database

    use_bench_database(scale)
    cpu.configure_environment()
    import django

    django.setup()
    from django.core.handlers.wsgi import WSGIHandler

    from bench.probe import collect_context
    from kat_clinic.serving_gc import tune_for_serving

    ctx = collect_context(scale)
    cpu.use_runtime_role()
    tune_for_serving()
    gc.collect()
    gc.freeze()
    gc.disable()
    handler = WSGIHandler()
    sc = next(s for s in cpu.scenarios(ctx) if s.name == scenario)
    tokens = {} if sc.role == "none" else {sc.role: cpu.login(handler, ctx["usernames"][sc.role])}
    try:
        cpu.measure(handler, ctx, sc, tokens, requests, warmup=WARMUP)
    finally:
        cpu.revoke_tokens([*ctx["tokens"].values(), *cpu.ISSUED, *tokens.values()])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", default="livez", help="comma-separated scenario names of bench.cpu")
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("-n", type=int, default=50, help="requests between the two counted runs")
    parser.add_argument("--base", type=int, default=10, help="requests of the shorter run")
    parser.add_argument("--against", default="", help="another checkout of the project, counted alike")
    parser.add_argument("--seed", type=int, default=0, help="the string hash seed of every counted process")
    parser.add_argument("--child", default="", help=argparse.SUPPRESS)
    parser.add_argument("--requests", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child, args.requests, args.scale)
        return 0
    trees = {"this": HERE, **({"against": Path(args.against).resolve()} if args.against else {})}
    names = [n.strip() for n in args.only.split(",") if n.strip()]
    runs = [(label, name, k) for name in names for label in trees for k in (args.base, args.base + args.n)]
    with ThreadPoolExecutor(max_workers=2) as pool:
        counts = dict(
            zip(
                runs,
                pool.map(lambda run: count(trees[run[0]], run[1], run[2], args.scale, args.seed), runs),
                strict=True,
            )
        )
    print(f"instructions per request (millions), scale {args.scale:g}, {args.n} requests apart, hash seed {args.seed}")
    for name in names:
        each = {
            label: per_request(counts[(label, name, args.base)], counts[(label, name, args.base + args.n)], args.n)
            for label in trees
        }
        line = f"{name:<28}" + "".join(f"{label} {value / 1e6:9.3f}  " for label, value in each.items())
        if "against" in each:
            line += f"change {(each['this'] - each['against']) / each['against'] * 100:+.1f} %"
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
