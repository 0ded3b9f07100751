"""Target verdicts are computed from the measured figures, relative to the ceiling."""

from __future__ import annotations

from bench import report
from bench.copyutil import encode
from bench.load import RunResult, Sample


def _results(**scenarios):
    return {"scenarios": scenarios, "rss": {"max_worker_mb": 120.0}}


def test_a_hot_read_below_40_percent_of_the_ceiling_misses_its_target():
    # given a ceiling of 1000 req/s and a read at 300 req/s, p95 20 ms at the fixed rate
    results = _results(
        **{
            "livez (ceiling)": {"available": True, "closed": {"throughput_rps": 1000.0, "errors": 0}},
            "patient detail": {
                "available": True,
                "closed": {"throughput_rps": 300.0, "errors": 0, "p95_ms": 80.0},
                "fixed_rate": {"p95_ms": 20.0, "target_rate_rps": 50, "errors": 0},
            },
        }
    )

    # when evaluated
    report.evaluate(results)

    # then only the throughput ratio misses
    detail = results["scenarios"]["patient detail"]
    assert detail["ratio_to_ceiling"] == 0.3
    assert detail["missed"] == ["throughput 30% of ceiling < 40%"]
    assert results["rss_ok"] is True


def test_a_write_is_held_to_its_own_p95_target_and_errors_count():
    # given a vitals write with p95 45 ms at the fixed rate and two 409s
    results = _results(
        **{
            "livez (ceiling)": {"available": True, "closed": {"throughput_rps": 1000.0, "errors": 0}},
            "vitals write": {
                "available": True,
                "closed": {"throughput_rps": 100.0, "errors": 2, "p95_ms": 60.0},
                "fixed_rate": {"p95_ms": 45.0, "target_rate_rps": 50, "errors": 0},
            },
        }
    )

    # when evaluated
    report.evaluate(results)

    # then the p95 and the errors are reported, not the throughput ratio (writes are not held to it)
    assert results["scenarios"]["vitals write"]["missed"] == ["p95 45 ms at 50/s > 30 ms", "2 errors"]


def test_percentiles_interpolate_between_samples():
    # given ten samples from 1 to 10 ms
    run = RunResult(samples=[Sample(latency_s=ms / 1000, status=200) for ms in range(1, 11)], elapsed_s=1.0)

    # when summarised
    summary = run.summary()

    # then
    assert summary["p50_ms"] == 5.5
    assert summary["p95_ms"] == 9.6
    assert summary["throughput_rps"] == 10.0
    assert summary["errors"] == 0


def test_copy_encoding_escapes_text_and_writes_nulls_and_arrays():
    assert encode(None) == "\\N"
    assert encode("a\tb\nc\\d") == "a\\tb\\nc\\\\d"
    assert encode(["monitored", 'say "hi"']) == '{"monitored","say \\\\"hi\\\\""}'
    assert encode(True) == "t"
