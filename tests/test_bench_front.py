"""bench/bench_front.py's waiting between contenders: after a run, the next contender starts only once
every server is idle, so that answers still being computed (a slow query's tail) are not charged to
it; and the wait is bounded."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from bench.bench_front import IDLE_WINDOW_S, wait_idle

pytestmark = pytest.mark.live  # starts processes

BUSY_S = 2.5


def child(code: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", code])


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
