#!/usr/bin/env python3
"""Where a request's time goes, in process (no HTTP, no server): the WSGI app called with a werkzeug
environ per request, on the five shapes of ``bench_requests.py``, beside an empty Flask app and the
same query on pyoxigraph alone (the floor).

    python bench/profile_requests.py --build DIR/10k/build --project DIR/10k/project [--reps 2000]
    python bench/profile_requests.py ... --profile ask        # cProfile of one shape, top functions

``--sync`` (the default) runs each query as under gunicorn's sync workers (in this process, under the
watchdog); ``--threaded`` as under gthread or granian (the worker pool: a process hop per query).
``--cold MB`` copies MB megabytes between two requests (untimed), so that each starts with the CPU's
caches holding something else, as on a server whose machine runs other work between its requests: a
request then costs what the code and data it touches cost to fetch, not only its instructions.
Prints the p50 in microseconds per shape. Asserts nothing.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from flask import Flask
from werkzeug.test import EnvironBuilder

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

import workload  # noqa: E402
from bench_requests import SHAPES  # noqa: E402

from nexus_ld.config import load_settings  # noqa: E402
from nexus_ld.store.embedded import Store  # noqa: E402
from nexus_ld.web.app import create_app  # noqa: E402


def environ_for(query: str, accept: str, sync: bool) -> dict[str, Any]:
    environ = EnvironBuilder(
        path="/sparql", query_string={"query": query}, headers={"Accept": accept}
    ).get_environ()
    environ["REMOTE_ADDR"] = "127.0.0.1"
    if sync:  # what a gunicorn sync worker passes: the query runs in this process
        environ["gunicorn.socket"] = None
    return environ


def call(app: Callable[..., Any], environ: dict[str, Any]) -> int:
    status: list[str] = []
    body = b"".join(app(dict(environ), lambda s, h, e=None: status.append(s)))
    assert status[0].startswith("200"), (status, body[:300])
    return len(body)


def p50_us(fn: Callable[[], Any], reps: int, between: Callable[[], Any] = lambda: None) -> float:
    for _ in range(min(50, reps)):  # warm up: caches, the watchdog thread, the worker pool
        fn()
    times = []
    for _ in range(reps):
        between()
        start = time.perf_counter_ns()
        fn()
        times.append(time.perf_counter_ns() - start)
    return statistics.median(times) / 1000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--build", type=Path, required=True)
    parser.add_argument("--project", type=Path, required=True)
    parser.add_argument("--reps", type=int, default=2000)
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--sync", dest="sync", action="store_true", default=True)
    mode.add_argument("--threaded", dest="sync", action="store_false")
    parser.add_argument("--profile", metavar="SHAPE", help="cProfile this shape instead (top 25 by own time)")
    parser.add_argument("--cold", type=int, default=0, metavar="MB", help="copy MB MiB between requests")
    args = parser.parse_args(argv)
    source, target = bytearray(args.cold << 20), bytearray(args.cold << 20)

    def evict() -> None:
        target[:] = source

    settings = load_settings(
        {
            "build_dir": str(args.build),
            "project_dir": str(args.project),
            "inbox_path": str(args.project / "inbox" / "contributions.sqlite"),
            # The limiter runs (a limit no benchmark reaches), as does the in-flight cap (default).
            "rate_limit_per_minute": 10**9,
        },
        environ={},
    )
    app = create_app(settings)
    empty = Flask("empty")
    empty.add_url_rule("/sparql", "sparql", lambda: "ok")
    store = Store.open(args.build)
    every = workload.shapes(args.project, with_search=False, with_examples=False)
    shape_list = [s for s in every if s.name in SHAPES]
    if args.profile:
        shape = next(s for s in shape_list if s.name == args.profile)
        environ = environ_for(shape.queries()[0], workload.accept_for(shape.text), args.sync)
        p50_us(lambda: call(app, environ), 50)
        profiler = cProfile.Profile()
        profiler.runcall(lambda: [call(app, environ) for _ in range(args.reps)])
        pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
        return 0
    how = "sync" if args.sync else "threaded"
    how += f", {args.cold} MiB copied between requests" if args.cold else ""
    print(f"build {args.build}; p50 µs in process, {args.reps} requests each, {how}")
    print("| shape | nexus-ld app | empty Flask app | pyoxigraph query alone | app - pyoxigraph |")
    print("|---|---|---|---|---|")
    for shape in shape_list:
        text, accept = shape.queries()[0], workload.accept_for(shape.text)
        environ = environ_for(text, accept, args.sync)
        ours = p50_us(lambda e=environ: call(app, e), args.reps, evict)
        flask = p50_us(lambda e=environ: call(empty, e), args.reps, evict)
        floor = p50_us(lambda t=text: workload_floor(store, t), args.reps, evict)
        print(f"| {shape.name} | {ours:.0f} | {flask:.0f} | {floor:.0f} | {ours - floor:.0f} |")
    return 0


def workload_floor(store: Store, text: str) -> bytes:
    """The query on the store and its answer serialized, as ``embedded_latency`` does."""
    result = store.query(text)
    if isinstance(result, ox.QueryTriples):
        return ox.serialize(result, format=ox.RdfFormat.N_TRIPLES)
    if isinstance(result, ox.QueryBoolean):
        return b"true" if result else b"false"
    return result.serialize(format=ox.QueryResultsFormat.JSON)


if __name__ == "__main__":
    raise SystemExit(main())
