"""Overhead of the two killable ways of running /sparql queries: the worker pool (threaded servers) and
the watchdog in the serving process (gunicorn sync workers), next to running them bare.

    python bench/bench_sparql_executor.py --build-dir build [--n 300]

Prints p50 / p95 in milliseconds per query shape for: pyoxigraph in-process with its own (Rust)
serialiser, the same job in-process through ``executor.run_job``, under ``WatchdogExecutor`` and
through ``WorkerPool``.
No asserts: numbers for the closing note.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import pyoxigraph as ox

from nexus_ld.config import load_settings
from nexus_ld.namespaces import graph_iri
from nexus_ld.store.embedded import DEFAULT_GRAPHS, Store
from nexus_ld.store.jobs import Job, oxigraph_query
from nexus_ld.web.sparql.executor import Context, InlineExecutor, WatchdogExecutor, WorkerPool

SHAPES = {
    "ask": "ASK { group:ttp rdfs:label ?l }",
    "entity CONSTRUCT": "CONSTRUCT { group:ttp ?p ?o } WHERE { group:ttp ?p ?o }",
    "select 100 rows": "SELECT ?s ?p ?o WHERE { ?s ?p ?o } LIMIT 100",
    "select 5000 rows": "SELECT ?s ?p ?o WHERE { ?s ?p ?o } LIMIT 5000",
    "2-hop filter": (
        "SELECT ?c ?e ?d WHERE { ?c nx:asserts ?e . ?e ?p ?t . ?t ?q ?d "
        "FILTER(datatype(?d) = xsd:date && ?d > '2010-01-01'^^xsd:date) }"
    ),
}


def timed(fn, n: int) -> tuple[float, float]:
    fn()  # warm up
    samples = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return p50_p95(samples)


def p50_p95(samples: list[float]) -> tuple[float, float]:
    """The median and the 95th percentile of timings in ms."""
    samples = sorted(samples)
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build-dir", default="build", type=Path)
    parser.add_argument("--n", default=300, type=int)
    args = parser.parse_args()
    store = Store.open(args.build_dir)
    settings = load_settings({"build_dir": str(args.build_dir)}, environ={})
    pool = WorkerPool(str(args.build_dir / "store"), store.prefixes, 2, settings.values)
    here = Context(oxigraph_query(store.ox, store.prefixes), lambda: None)  # queries only
    inline = InlineExecutor(here, "none: in-process")
    watchdog = WatchdogExecutor(here)
    graphs = tuple(graph_iri(name, store.base) for name in DEFAULT_GRAPHS)  # what /sparql queries
    heads = ("rust p50", "inline p50", "watchdog p50", "pool p50", "pool p95", "pool overhead")
    print(f"{'shape':18} " + " ".join(f"{h:>13}" for h in heads))
    for name, text in SHAPES.items():
        is_graph = text.startswith("CONSTRUCT")
        job = Job(text, "json", "turtle", 10_000, default_graph=graphs)

        def rust(text=text, is_graph=is_graph):
            result = store.ox.query(
                text, prefixes=store.prefixes, default_graph=[ox.NamedNode(g) for g in graphs]
            )
            if is_graph:
                return ox.serialize(result, format=ox.RdfFormat.TURTLE)
            return result.serialize(format=ox.QueryResultsFormat.JSON)

        r50, _ = timed(rust, args.n)
        i50, _ = timed(lambda job=job: inline.run(job, 10), args.n)
        w50, _ = timed(lambda job=job: watchdog.run(job, 10, lambda: None), args.n)
        p50, p95 = timed(lambda job=job: pool.run(job, 10), args.n)
        row = (r50, i50, w50, p50, p95)
        print(f"{name:18} " + " ".join(f"{v:13.3f}" for v in row) + f" {p50 - i50:+13.3f}")
    pool.close()


if __name__ == "__main__":
    main()
