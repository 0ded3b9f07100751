"""bench.instructions reads callgrind's count and works out one request's instructions."""

from __future__ import annotations

import pytest

from bench import instructions

STDERR = """==4242== Callgrind, a call-graph generating cache profiler
==4242== Events    : Ir
==4242== Collected : 12801075865
==4242==
==4242== I   refs:      12,801,075,865
"""


def test_given_callgrinds_report_then_its_collected_count_is_read():
    assert instructions.collected(STDERR) == 12_801_075_865


def test_given_no_count_in_the_report_then_it_says_so_with_the_report():
    with pytest.raises(RuntimeError, match="no count") as refused:
        instructions.collected("valgrind: executable not found\n")
    assert "executable not found" in str(refused.value)


def test_one_requests_instructions_are_the_difference_over_the_requests_between_the_runs():
    assert instructions.per_request(12_801_075_865, 13_166_063_279, 50) == pytest.approx(7_299_748.28)


def test_the_child_runs_this_file_under_callgrind_without_writing_its_profile():
    cmd = instructions.command("day board", 60, 1.0)
    assert cmd[:3] == ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null"]
    assert cmd[4].endswith("bench/instructions.py")
    assert cmd[5:] == ["--child", "day board", "--requests", "60", "--scale", "1.0"]
