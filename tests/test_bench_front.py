"""bench/bench_front.py's logic: the waiting between contenders (after a run, the next contender starts
only once every server is idle, so that answers still being computed, a slow query's tail, are not
charged to it; the wait is bounded), which one-round rows are measured again, and the statistics that
answer "is a miss slower through the front?": pairs, their ratios, the bootstrap interval of a median,
the verdict, and the latency pairs taken from two real HTTP servers."""

from __future__ import annotations

import random
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from bench.bench_front import (
    IDLE_WINDOW_S,
    MIN_PAIRS,
    WARM_PAIRS,
    Contender,
    Row,
    borderline,
    latency_pairs,
    median_ci,
    paired,
    paired_rounds,
    verdict,
    wait_idle,
)

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


def test_the_bootstrap_interval_of_a_median_covers_the_true_one_about_as_often_as_it_says():
    # 200 samples of 41 from a skewed distribution whose median is known (exponential: ln 2).
    true_median, rng, covered, widths = 0.6931471805599453, random.Random(7), 0, []
    for _ in range(200):
        sample = [rng.expovariate(1.0) for _ in range(41)]
        median, low, high = median_ci(sample, resamples=400, seed=rng.randrange(10**6))
        assert low <= median <= high
        covered += low <= true_median <= high
        widths.append(high - low)
    assert 0.88 <= covered / 200 <= 0.995  # 95% asked; a percentile bootstrap of a median runs near it
    # More data, a narrower interval; none at all for a constant; the same seed, the same interval.
    wide = median_ci([rng.expovariate(1.0) for _ in range(41)])
    narrow = median_ci([rng.expovariate(1.0) for _ in range(1681)])
    assert narrow[2] - narrow[1] < (wide[2] - wide[1]) / 3
    assert median_ci([2.5] * 9) == (2.5, 2.5, 2.5)
    values = [rng.random() for _ in range(30)]
    assert median_ci(values) == median_ci(values)
    with pytest.raises(ValueError):
        median_ci([])


def test_the_verdict_says_slower_only_when_the_whole_interval_is_above_one():
    assert verdict(1.08, 1.05, 1.11) == "slower by 8.0% (95% CI +5.0% to +11.0%)"
    assert verdict(1.01, 0.97, 1.04) == "no slower within 4.0% (95% CI -3.0% to +4.0%)"
    assert verdict(0.9, 0.85, 0.95) == "faster by 10.0% (95% CI -15.0% to -5.0%)"


def test_pairs_give_the_median_of_their_ratios_not_the_ratio_of_medians():
    found = paired([2.0, 4.0, 10.0], [1.0, 4.0, 20.0])
    assert found["front_p50_ms"] == found["alone_p50_ms"] == 4.0
    assert found["ratio"] == 1.0 and found["added_ms"] == 0.0  # per pair: 2, 1, 0.5 and +1, 0, -10
    assert found["pairs"] == 3
    with pytest.raises(ValueError):
        paired([1.0, 2.0], [1.0])


def test_pairing_sees_a_small_cost_that_the_drift_of_the_machine_hides_from_the_two_p50s():
    # The machine's speed drifts 3x over the run; each pair sees one moment of it, the front 6% more.
    rng = random.Random(3)
    moments = [1.0 + 2.0 * i / 400 for i in range(400)]
    alone = [m * rng.uniform(0.97, 1.03) for m in moments]
    front = [m * 1.06 * rng.uniform(0.97, 1.03) for m in moments]
    found = paired(front, alone)
    assert found["verdict"].startswith("slower by")
    assert 1.04 < found["ratio_ci"][0] < found["ratio"] < found["ratio_ci"][1] < 1.08
    # The same times unpaired (the front's taken in another order) straddle it: no verdict from them.
    unpaired = paired(sorted(front, reverse=True), alone)
    assert unpaired["ratio_ci"][0] < 1 < unpaired["ratio_ci"][1]


def test_throughput_rounds_are_paired_by_round_and_judged_on_the_time_per_request():
    found = paired_rounds([900.0, 1900.0, 500.0, 1000.0, 1450.0], [1000.0, 2000.0, 520.0, 1020.0, 1500.0])
    assert found["rounds"] == 5 and found["ratio"] == 500 / 520  # the median of 0.90, 0.95, 0.96, 0.97, 0.98
    assert all(0.9 <= x <= 0.99 for x in found["ratio_ci"])
    assert found["verdict"].startswith("slower by")  # every round's front slower: 1-11% per request
    assert paired_rounds([1000.0, 980.0, 1030.0], [990.0, 1000.0, 1000.0])["verdict"].startswith("no slower")
    with pytest.raises(ValueError):
        paired_rounds([1.0], [1.0, 2.0])


class Answer(BaseHTTPRequestHandler):
    """A kept-alive HTTP/1.1 server answering every GET 200, after ``delay_s``, with ``X-Cache-Status``
    when it has one; it records each path and each connection."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body are two writes: no 40 ms wait for a delayed ACK
    delay_s, cache_status, status = 0.0, None, 200

    def do_GET(self) -> None:
        self.server.paths.append(self.path)  # type: ignore[attr-defined]
        self.server.connections.add(self.client_address)  # type: ignore[attr-defined]
        time.sleep(self.delay_s)
        self.send_response(self.status)
        if self.cache_status:
            self.send_header("X-Cache-Status", self.cache_status)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def two_servers() -> Iterator[tuple[ThreadingHTTPServer, ThreadingHTTPServer]]:
    """A "front" that adds 3 ms and says MISS, and an "alone" that answers at once."""
    front = type("Front", (Answer,), {"delay_s": 0.003, "cache_status": "MISS"})
    servers = [ThreadingHTTPServer(("127.0.0.1", 0), handler) for handler in (front, Answer)]
    for server in servers:
        server.paths, server.connections = [], set()  # type: ignore[attr-defined]
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    yield servers[0], servers[1]
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.mark.live  # starts HTTP servers
def test_latency_pairs_time_each_new_path_on_kept_connections_and_see_what_the_front_adds(two_servers):
    front, alone = two_servers

    def contender(label: str, server: ThreadingHTTPServer) -> Contender:
        base = f"http://127.0.0.1:{server.server_address[1]}"
        return Contender(label, base, lambda run: [f"/sparql?n={run}-{i}" for i in range(500)], "*/*")

    row = Row("distinct (all misses)", [contender("nginx cache", front), contender("gunicorn alone", alone)],
              1, misses=True)  # fmt: skip
    found = latency_pairs(row, pairs=40, limit_s=10.0)
    assert found["pairs"] == 40 and found["failed"] == 0
    assert found["cache_status"] == {"MISS": 40 + WARM_PAIRS}  # each answer of the front, warm ones too
    assert found["connections_opened"] == {"nginx cache": 1, "gunicorn alone": 1}
    assert len(front.connections) == len(alone.connections) == 1  # type: ignore[attr-defined]
    for server in two_servers:
        assert len(set(server.paths)) == len(server.paths) == 40 + WARM_PAIRS  # type: ignore[attr-defined]
    assert 2.9 < found["added_ms_ci"][0] <= found["added_ms"] < 6  # the front's 3 ms, nothing else
    assert found["verdict"].startswith("slower by")
    # Bounded in time as well as in count, once a few pairs are counted (a miss at 1M may take 1 s).
    started = time.monotonic()
    assert latency_pairs(row, pairs=10_000, limit_s=0.3)["pairs"] < 200
    assert time.monotonic() - started < 2
    assert latency_pairs(row, pairs=10_000, limit_s=0.0)["pairs"] == MIN_PAIRS


@pytest.mark.live  # starts HTTP servers
def test_latency_pairs_leave_out_a_failed_answer_and_say_so_when_none_is_left(two_servers):
    _, alone = two_servers
    failing = type("Failing", (Answer,), {"status": 503})
    broken = ThreadingHTTPServer(("127.0.0.1", 0), failing)
    broken.paths, broken.connections = [], set()  # type: ignore[attr-defined]
    threading.Thread(target=broken.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    try:
        contenders = [
            Contender(label, f"http://127.0.0.1:{server.server_address[1]}",
                      lambda run: [f"/sparql?n={run}-{i}" for i in range(50)], "*/*")
            for label, server in (("nginx cache", broken), ("gunicorn alone", alone))
        ]  # fmt: skip
        found = latency_pairs(Row("distinct (all misses)", contenders, 1, misses=True), pairs=8, limit_s=5.0)
        assert found["pairs"] == 0 and found["failed"] == 8 + WARM_PAIRS
        assert found["verdict"] == "not measured: no pair answered 200 twice"
    finally:
        broken.shutdown()
        broken.server_close()
