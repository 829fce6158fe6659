#!/usr/bin/env python3
"""Per-request cost: nexus-ld under gunicorn sync, gunicorn gthread and granian, each paired with
`oxigraph serve` on the same generated build (the same query sent to both, in alternating order),
on five small shapes where the HTTP stack is most of the time. `bench/run --servers
nexus-gunicorn,nexus-gthread,nexus-granian,oxigraph` measures the same within the full benchmark.

    python bench/bench_requests.py --size 10k --work DIR     # DIR/<size>/build (bench_queries.py makes it)
    git archive COMMIT src | tar -x -C OLD && python bench/bench_requests.py ... --against OLD/src

``--against`` pairs each server with the same server on another version of the code (its ``src/``
first on PYTHONPATH) instead of ``oxigraph serve``: a before/after of nexus-ld's own cost that the
load of a shared machine does not blur (both answer each query in turn). ``--floor`` runs, under each
server, an empty Flask app (``floor_app.py``: ``ASK``'s answer without a store) in place of nexus-ld,
on ``ASK {}`` only: the server's and Flask's own share of the ratio.

Prints per shape and server the two p50s and their ratio, the 1-minute load average when each
server's run ended (the machine may be shared: a ratio is worth only its load), and the CPU time each
server's processes spent per request, which the load blurs much less; ``--json`` writes them.
Asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

import generate  # noqa: E402
import procs  # noqa: E402
import servers  # noqa: E402
import workload  # noqa: E402
from procs import Server  # noqa: E402

# The five shapes of issue 15 (bench/queries/), where the HTTP stack is most of the time.
SHAPES = ("ask", "entity-labels", "entity-construct", "claims-about", "count-all")
CONTENDERS = ("nexus-gunicorn", "nexus-gthread", "nexus-granian")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", default="10k")
    parser.add_argument(
        "--work", type=Path, default=Path(os.environ.get("TMPDIR", tempfile.gettempdir())) / "nexus-ld-bench"
    )
    parser.add_argument("--build", type=Path, help="a build folder (else <work>/<size>/build)")
    parser.add_argument("--project", type=Path, help="its project folder (else <work>/<size>/project)")
    parser.add_argument("--servers", default=",".join(CONTENDERS))
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--reps", type=int, default=400, help="paired requests per shape and server")
    parser.add_argument("--budget", type=float, default=20.0, help="seconds per shape and server at most")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--against", type=Path, metavar="SRC", help="pair with the same server on SRC's code")
    parser.add_argument("--floor", action="store_true", help="an empty Flask app in each server, ASK only")
    args = parser.parse_args(argv)
    here = args.work / generate.size_label(generate.parse_size(args.size))
    build, project = args.build or here / "build", args.project or here / "project"
    every = workload.shapes(project, with_search=False, with_examples=False)
    shape_list = [s for s in every if s.name in (("ask",) if args.floor else SHAPES)]
    reference = None if args.against else servers.make("oxigraph", build, project)
    if reference is not None:
        reference.start(timeout=60)
    found: dict[str, list[dict]] = {}
    load: dict[str, float] = {}
    apps: dict[str, str] = {}  # the WSGI app each server ran
    try:
        for name in args.servers.split(","):
            server = servers.make(name, build, project, workers=args.workers)
            if args.floor:
                floor(server)
            apps[name] = next((arg for arg in server.argv if "create_app" in arg), "")
            beside = reference or servers.make(name, build, project, workers=args.workers)
            try:
                if args.against:
                    beside.env = {**(beside.env or os.environ), "PYTHONPATH": str(args.against)}
                    beside.log = beside.log.with_name(f"{beside.log.stem}-against.log")
                    beside.start(timeout=60)
                server.start(timeout=60)
                rows = [measure(server, beside, shape, args.reps, args.budget) for shape in shape_list]
            finally:
                for done in (server, beside) if args.against else (server,):
                    done.stop()
                    done.log.unlink(missing_ok=True)
            found[name] = rows
            load[name] = os.getloadavg()[0]
    finally:
        if reference is not None:
            reference.stop()
            reference.log.unlink(missing_ok=True)
    other = f"the same server on {args.against}" if args.against else "oxigraph serve"
    print(f"build {build}; p50 ms of the server / of {other} beside it (ratio), n pairs\n")
    print("| shape | " + " | ".join(found) + " |")
    print("|---|" + "---|" * len(found))
    for i, shape in enumerate(shape_list):
        cells = []
        for rows in found.values():
            t = rows[i]
            if t["error"] or not t["reference_p50_ms"]:
                cells.append(t["error"][:60] or "–")
                continue
            ratio = t["p50_ms"] / t["reference_p50_ms"]
            cells.append(f"{t['p50_ms']:.2f} / {t['reference_p50_ms']:.2f} ({ratio:.2f}×) n={t['n']}")
        print(f"| {shape.name} | " + " | ".join(cells) + " |")
    print("| load average (1 min) | " + " | ".join(f"{load[name]:.2f}" for name in found) + " |")
    print(f"\nCPU ms per request of the server (all its processes) / of {other}\n")
    print("| shape | " + " | ".join(found) + " |")
    print("|---|" + "---|" * len(found))
    for i, shape in enumerate(shape_list):
        cells = [f"{rows[i]['cpu_ms']:.3f} / {rows[i]['reference_cpu_ms']:.3f}" for rows in found.values()]
        print(f"| {shape.name} | " + " | ".join(cells) + " |")
    if args.json:
        report = {"build": str(build), "servers": found, "load": load, "apps": apps}
        args.json.write_text(json.dumps(report, indent=1))
    return 0


def measure(server: Server, beside: Server, shape: workload.Shape, reps: int, budget: float) -> dict:
    """One shape, paired, with the CPU time each server spent per request (``procs.cpu_seconds``: on
    a shared machine a latency is worth its load, CPU time much less so; 10 ms ticks over the run)."""
    pids = [s.proc.pid for s in (server, beside) if s.proc]  # both started
    cpu = [procs.cpu_seconds(pid) for pid in pids]
    paired = (beside.endpoint, beside.params)
    (timing,) = workload.http_latency(
        server.endpoint, server.url, [shape], reps, budget, timeout=30, reference=paired
    )
    spent = [procs.cpu_seconds(pid) - before for pid, before in zip(pids, cpu, strict=True)]
    row = timing.to_json()
    served = (len(timing.samples_ms) + 1, len(timing.reference_ms) + 1)  # and one warm-up each
    row["cpu_ms"], row["reference_cpu_ms"] = (1000 * t / n for t, n in zip(spent, served, strict=True))
    return row


def floor(server: Server) -> None:
    """``server`` running ``floor_app.py`` (from bench/) in place of nexus-ld's app."""
    targets = {"nexus_ld.web.app:create_app()": "floor_app:create_app()"}
    targets["nexus_ld.web.app:create_app"] = "floor_app:create_app"  # granian's --factory
    server.argv = [targets.get(arg, arg) for arg in server.argv]
    env = server.env or dict(os.environ)
    server.env = {**env, "PYTHONPATH": os.pathsep.join(filter(None, [str(BENCH), env.get("PYTHONPATH")]))}
    server.log = server.log.with_name(f"{server.log.stem}-floor.log")


if __name__ == "__main__":
    sys.exit(main())
