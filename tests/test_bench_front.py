"""bench/bench_front.py's logic: the waiting between contenders (after a run, the next contender starts
only once every server is idle, so that answers still being computed, a slow query's tail, are not
charged to it; the wait is bounded), and which one-round rows are measured again."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from bench.bench_front import IDLE_WINDOW_S, borderline, wait_idle

BUSY_S = 2.5


def child(code: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", code])


@pytest.mark.live  # starts processes
def test_wait_idle_waits_while_a_process_computes_and_not_when_it_is_idle():
    # Busy for BUSY_S from its start, then asleep: a server finishing the queries in flight.
    busy = child(f"import time\nend = time.monotonic() + {BUSY_S}\nwhile time.monotonic() < end: pass\n"
                 "time.sleep(60)")  # fmt: skip
    started = time.monotonic()
    idle = child("import time; time.sleep(60)")
    try:
        time.sleep(0.5)  # the idle one's interpreter has started
        assert wait_idle([idle.pid]) < 3 * IDLE_WINDOW_S
        # Bounded: still busy when the limit is reached.
        assert wait_idle([busy.pid], limit_s=0.5) < 0.5 + 2 * IDLE_WINDOW_S
        assert busy.poll() is None and time.monotonic() - started < BUSY_S - IDLE_WINDOW_S
        wait_idle([busy.pid, idle.pid])
        assert time.monotonic() - started >= BUSY_S  # not before it stopped computing
    finally:
        for proc in (busy, idle):
            proc.kill()
            proc.wait(timeout=10)


def test_only_a_row_within_a_factor_one_and_a_half_of_ten_times_is_measured_again():
    def row(cache: float, oxigraph: float | None) -> dict[str, dict]:
        found = {"nginx cache": {"requests_per_s": cache}, "gunicorn alone": {"requests_per_s": 300.0}}
        return found | ({"oxigraph": {"requests_per_s": oxigraph}} if oxigraph is not None else {})

    assert borderline(row(6_700, 1_000)) and borderline(row(14_900, 1_000))
    assert not borderline(row(6_600, 1_000)) and not borderline(row(15_000, 1_000))
    assert not borderline(row(20_000, 0)) and not borderline(row(1_000, None))  # nothing to compare with
