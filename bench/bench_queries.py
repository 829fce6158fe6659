#!/usr/bin/env python3
"""Time every example query (``queries/*.rq``) and every query the pages run on a generated build,
in process with pyoxigraph (no HTTP): p50 of a few runs, each answer read to its end. The queries
``build`` runs into release.json and the page tables (``build:``) are timed too, and the pages that
read those tables (``page:``, through Flask's test client: the whole request, rendering included).

The generated project and its build are cached under ``--work`` (``<work>/<size>/project`` and
``build``, the layout ``bench/run`` uses), so a second run only times the queries:

    python bench/bench_queries.py --size 1M                    # generate + build once, then time
    python bench/bench_queries.py --size 1M --only example:0   # the shapes whose name starts so
    python bench/bench_queries.py --size 10M --fast-build      # above 1M: the bench's fast build
    python bench/bench_queries.py --size 1M --against main     # changed query files: old vs new, paired

Prints a table (slowest first) and, with ``--json``, writes every number. Asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))

import generate  # noqa: E402
import servers  # noqa: E402
import workload  # noqa: E402

TARGET_MS = 100.0


@dataclass
class Case:
    name: str
    run: Callable[[], int]  # runs the query, reads the whole answer, returns its size


def ensure_build(size: str, work: Path, fast: bool, timeout: float) -> Path:
    """``<work>/<size>/build``, generated and built on first use."""
    triples = generate.parse_size(size)
    here = work / generate.size_label(triples)
    project, build = here / "project", here / "build"
    if (build / "release.json").exists():
        return build
    if not (project / "generated.json").exists():
        t0 = time.perf_counter()
        generate.generate(triples, project)
        print(f"generated {project} in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    t0 = time.perf_counter()
    if fast:
        argv = [sys.executable, str(BENCH / "tasks.py"), "fast-build", str(project), str(build)]
    else:
        argv = [
            servers.tool("nexus-ld") or "nexus-ld",
            *("--setting", "project_dir", str(project), "--setting", "build_dir", str(build)),
            *("--setting", "inference", "rules", "build"),
        ]
    subprocess.run(argv, check=True, timeout=timeout, stdout=subprocess.DEVNULL)
    print(f"built {build} in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    return build


def drain(result: Any) -> int:
    """Read an answer to its end (the cost a page pays), return its rows, triples or boolean."""
    if isinstance(result, bool) or type(result).__name__ == "QueryBoolean":
        return int(bool(result))
    return sum(1 for _ in result)


def cases(store: Any, project: Path) -> list[Case]:
    """Every example query, then every named query a page or the build runs, with parameters from
    the data."""
    from nexus_ld.web.views.pages import LISTINGS, expand

    texts = {p.stem: p.read_text(encoding="utf-8") for p in sorted((ROOT / "queries").glob("*.rq"))}
    found = [Case("example:" + k, lambda t=t: drain(store.query(t))) for k, t in texts.items()]
    group = workload.parameters(project)["group"][0]
    source = next(iter(store.query("SELECT ?s WHERE { ?s a nx:Source } LIMIT 1")))["s"].value
    here = "http://127.0.0.1/sparql"
    # "build": run by build into release.json (site) or the page tables (pipeline/publish/tables.py),
    # never per request; the pages read their answers (the page: cases).
    named: list[tuple[str, str, dict[str, Any], dict[str, Any]]] = [
        ("build", "class-counts", {}, {}),
        ("build", "claim-statuses", {}, {}),
        ("build", "claim-agents", {}, {}),
        ("build", "claims", {}, {}),
        ("build", "timeline", {}, {}),
        ("build", "network-edges", {}, {}),
        ("build", "network-nodes", {}, {}),
        ("build", "network-lifespans", {}, {}),
        ("doc", "incoming", {"r": group}, {"limit": 50}),
        ("doc", "exists", {"r": group}, {}),
        ("doc source", "passages", {"r": source}, {}),
        ("ontology", "ontology-header", {}, {}),
        ("ontology", "ontology-terms", {}, {}),
        ("ontology", "ontology-concepts", {}, {}),
        ("ontology", "ontology-graph", {}, {}),
        ("sparql", "service-description", {"service": here, "dataset": here + "#d"}, {}),
    ]
    # A listing's whole order, into its page table.
    named += [("build", "listing", {"class": expand(store, c)}, {}) for _, c, _ in LISTINGS.values()]
    for page, name, subs, kwargs in named:
        label = f"{page}:{name}" + (f"({next(iter(subs.values())).rsplit('/', 1)[-1]})" if subs else "")
        found.append(Case(label, lambda n=name, s=subs, k=kwargs: drain(store.named(n, s or None, **k))))
    # describe.rq, then labels.rq given its IRIs, then incoming.rq: the three queries of a /doc page
    short = group.rsplit("/", 1)[-1]
    found.append(Case(f"doc:describe({short})", lambda: len(store.describe(group).triples)))
    return found


def page_cases(store: Any, build: Path, project: Path) -> list[Case]:
    """The pages that read the page tables, each a whole GET through Flask's test client (rendering
    included; the tables are read on the warm-up run, once per release), and that first read itself."""
    from nexus_ld.config import load_settings
    from nexus_ld.pipeline.publish import releases
    from nexus_ld.pipeline.publish.tables import LISTED, QUERIES, read_table
    from nexus_ld.web.app import create_app

    settings = {"build_dir": str(build), "project_dir": str(project), "rate_limit_per_minute": 0}
    settings["inbox_path"] = str(build.parent / "inbox.sqlite")  # the app opens one; never the checkout's
    client = create_app(load_settings(settings, environ={})).test_client()
    agent = next(iter(store.named("claim-agents")))["agent"].value[len(store.base + "id/") :]
    events = store.release["site"]["members"].get(store.prefixes["nx"] + "Event", 0)
    last = max(1, -(-events // load_settings({}, environ={}).page_size))
    paths = ["/", "/timeline", "/claims", "/claims?status=allegation", f"/claims?agent={agent}"]
    paths += ["/claims?who=a", "/claims/agents", "/network", "/network?status=all"]
    paths += ["/network.json", "/network.json?status=all"]
    paths += [*(f"/{kind}" for kind in LISTED), f"/events?page={last}"]

    def get(path: str) -> int:
        accept = "application/json" if path.endswith(".json") else "text/html"
        r = client.get(path, headers={"Accept": accept})
        if r.status_code != 200:
            raise RuntimeError(f"{path}: {r.status_code} {r.get_data(as_text=True)[:200]}")
        return len(r.get_data())

    def load() -> int:
        folder = releases.served_folder(build)
        # The network's tables are read by page from network.sqlite: no process reads them whole.
        tables = [read_table(folder, n) for n in QUERIES if not n.startswith("network-")]
        return sum(len(t) for t in tables)

    return [Case("load:page tables (once per release)", load)] + [
        Case("page:" + p, lambda p=p: get(p)) for p in paths
    ]


def time_case(case: Case, reps: int, budget_s: float) -> dict[str, Any]:
    """p50 of up to ``reps`` runs after one warm-up; one run only when the first is over the budget."""
    t0 = time.perf_counter()
    size = case.run()
    first = (time.perf_counter() - t0) * 1000
    samples = [first]
    if first < budget_s * 1000:
        samples = []
        started = time.perf_counter()
        for _ in range(reps):
            t0 = time.perf_counter()
            case.run()
            samples.append((time.perf_counter() - t0) * 1000)
            if time.perf_counter() - started > budget_s:
                break
    return {"query": case.name, "p50_ms": statistics.median(samples), "n": len(samples), "results": size}


def table(rows: list[dict[str, Any]]) -> str:
    out = ["| query | p50 (ms) | runs | rows / triples | < 100 ms |", "|---|---|---|---|---|"]
    for r in sorted(rows, key=lambda r: -r["p50_ms"]):
        mark = "yes" if r["p50_ms"] < TARGET_MS else "**no**"
        out.append(f"| {r['query']} | {r['p50_ms']:,.1f} | {r['n']} | {r['results']:,} | {mark} |")
    return "\n".join(out)


def measure(
    build: Path, project: Path, only: str, reps: int, budget_s: float, examples: bool = True
) -> list[dict[str, Any]]:
    """Time the cases whose name starts with ``only`` (the example queries only with ``examples``)."""
    from nexus_ld.store.embedded import Store

    store = Store.open(build)
    everything = cases(store, project)
    if "page:".startswith(only) or only.startswith("page:"):  # the pages need a build that has them
        everything += page_cases(store, build, project)
    chosen = [c for c in everything if c.name.startswith(only)]
    return [time_case(c, reps, budget_s) for c in chosen if examples or not c.name.startswith("example:")]


def against(build: Path, project: Path, rev: str, reps: int) -> list[dict[str, Any]]:
    """Each query file changed since git ``rev`` (``queries/``, ``src/nexus_ld/store/queries/``), its old
    and its new text timed alternately on the same store (paired: a loaded machine drifts).
    Named queries are run with ``?r`` bound to a generated group; those needing other bindings are left."""
    from nexus_ld.store.embedded import Store

    store = Store.open(build)
    group = workload.parameters(project)["group"][0]
    folders = ["queries", "src/nexus_ld/store/queries"]
    changed = subprocess.run(
        ["git", "-C", str(ROOT), "diff", "--name-only", rev, "--", *folders],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    found = []
    for name in sorted(n for n in changed if n.endswith(".rq") and (ROOT / n).exists()):
        git_show = ["git", "-C", str(ROOT), "show", f"{rev}:{name}"]
        old = subprocess.run(git_show, capture_output=True, text=True)
        new = (ROOT / name).read_text(encoding="utf-8")
        subs = {"r": group} if "?r " in new else {}
        if old.returncode or "bound by substitution" in new and not subs:
            continue
        times: dict[str, list[float]] = {"old": [], "new": []}
        rows = {}
        for _ in range(reps):
            for key, text in (("old", old.stdout), ("new", new)):
                t0 = time.perf_counter()
                rows[key] = drain(store.query(text, subs or None))
                times[key].append((time.perf_counter() - t0) * 1000)
        found.append(
            {
                "query": Path(name).stem,
                "before_ms": statistics.median(times["old"]),
                "after_ms": statistics.median(times["new"]),
                "n": reps,
                "results_before": rows["old"],
                "results_after": rows["new"],
                # A rewrite must keep the answer: every row, in its order (read once, untimed).
                "same_answer": answer(store.query(old.stdout, subs or None))
                == answer(store.query(new, subs or None)),
            }
        )
    return found


def answer(result: Any) -> Any:
    """An answer as a comparable value: its rows in order, each term as text (or the boolean)."""
    if isinstance(result, bool) or type(result).__name__ == "QueryBoolean":
        return bool(result)
    if type(result).__name__ == "QueryTriples":
        return sorted(str(t) for t in result)  # a graph: no order
    names = [v.value for v in result.variables]
    return [tuple(str(s[n]) if s[n] is not None else None for n in names) for s in result]


def paired_table(rows: list[dict[str, Any]]) -> str:
    out = ["| query | before (ms) | after (ms) | rows before / after | same answer |", "|---" * 5 + "|"]
    for r in rows:
        counts = f"{r['results_before']:,} / {r['results_after']:,}"
        same = "yes" if r["same_answer"] else "**no**"
        out.append(f"| {r['query']} | {r['before_ms']:,.1f} | {r['after_ms']:,.1f} | {counts} | {same} |")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", default="1M", help="10k, 100k, 1M, 10M or a number of triples")
    parser.add_argument(
        "--work",
        type=Path,
        default=Path(os.environ.get("TMPDIR", tempfile.gettempdir())) / "nexus-ld-bench",
        help="where generated projects and builds are cached (bench/run's --work)",
    )
    parser.add_argument("--reps", type=int, default=7, help="timed runs per query (after a warm-up)")
    parser.add_argument("--budget", type=float, default=3.0, help="seconds per query at most")
    parser.add_argument("--only", default="", help="time only the queries whose name starts so")
    parser.add_argument("--fast-build", action="store_true", help="the bench fast build (no SHACL)")
    parser.add_argument("--build-timeout", type=float, default=3600.0)
    parser.add_argument("--json", type=Path, help="write the numbers here too")
    parser.add_argument("--against", metavar="REV", help="old vs new query files since REV")
    args = parser.parse_args(argv)
    build = ensure_build(args.size, args.work, args.fast_build, args.build_timeout)
    release = json.loads((build / "release.json").read_text(encoding="utf-8"))
    print(f"{args.size}: {release.get('triples', '?'):,} quads, build {build}\n")
    if args.against:
        rows = against(build, build.parent / "project", args.against, args.reps)
        print(paired_table(rows))
    else:
        rows = measure(build, build.parent / "project", args.only, args.reps, args.budget)
        print(table(rows))
    if args.json:
        numbers = {
            "size": args.size,
            "quads": release.get("triples"),
            "against": args.against,
            "queries": rows,
        }
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(numbers, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
