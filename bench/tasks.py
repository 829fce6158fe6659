#!/usr/bin/env python3
"""Measured steps that run in a child process of ``bench/run`` (so that each has its own peak memory
and cannot leak state into the next). Each prints one JSON object on stdout.

    python bench/tasks.py load-memory PROJECT
    python bench/tasks.py infer {owlrl,rules,rules-in-store} PROJECT
    python bench/tasks.py contribution PROJECT BUILD [REPEAT]
    python bench/tasks.py fast-build PROJECT BUILD
    python bench/tasks.py derive BUILD      # writes into BUILD's store: give it a copy
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path

import pyoxigraph as ox

DEFAULT_BASE = "https://w3id.org/nexus-ld/"


def project_files(project: Path) -> list[Path]:
    from nexus_ld.pipeline.load import SOURCES_FILE, data_files, ontology_files

    return [*ontology_files(project), *data_files(project), project / "data" / SOURCES_FILE]


def load_memory(project: Path) -> dict:
    """Parse and load every input file into an in-memory pyoxigraph store (the 'load' target)."""
    started = time.perf_counter()
    store = ox.Store()
    for path in project_files(project):
        store.bulk_load(path=str(path), format=ox.RdfFormat.TURTLE, base_iri=DEFAULT_BASE)
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "triples": len(store)}


def infer(engine: str, project: Path) -> dict:
    """Entailment time of one engine; for the two rdflib-based engines the rdflib load is apart."""
    from nexus_ld.pipeline import infer as nx_infer

    if engine == "rules-in-store":
        from nexus_ld.pipeline.load import data_files, ontology_files
        from nexus_ld.store.embedded import Store

        store = Store.in_memory()
        graphs = [ox.NamedNode("urn:x-bench:ontology"), ox.NamedNode("urn:x-bench:data")]
        started = time.perf_counter()
        for path in ontology_files(project):
            store.load_turtle(path, graphs[0])
        for path in data_files(project):
            store.load_turtle(path, graphs[1])
        load_s = time.perf_counter() - started
        started = time.perf_counter()
        triples = nx_infer.store_entailments(store, graphs, DEFAULT_BASE)
        return {"seconds": time.perf_counter() - started, "load_seconds": load_s, "entailments": len(triples)}
    from nexus_ld.pipeline.load import load_project

    started = time.perf_counter()
    loaded = load_project(project)
    load_s = time.perf_counter() - started
    started = time.perf_counter()
    inferred = nx_infer.ENTAILMENTS[engine](loaded.ontology, loaded.data, DEFAULT_BASE)
    return {"seconds": time.perf_counter() - started, "load_seconds": load_s, "entailments": len(inferred)}


def contribution(project: Path, build: Path, repeat: int = 10) -> dict:
    """Validation time of one contribution (the generated ``contribution.ttl``) against the build."""
    from nexus_ld import formats
    from nexus_ld.config import load_settings
    from nexus_ld.contributions.service import Validator, validate_bytes

    settings = load_settings({"project_dir": str(project), "build_dir": str(build)}, environ={})
    started = time.perf_counter()
    validator = Validator.from_settings(settings)
    setup_s = time.perf_counter() - started
    data = (project / "contribution.ttl").read_bytes()
    fmt = formats.by_suffix(".ttl")
    samples, outcome = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        outcome = validate_bytes(validator, data, fmt, "contribution.ttl")
        samples.append((time.perf_counter() - t0) * 1000)
    return {
        "setup_seconds": setup_s,
        "p50_ms": statistics.median(samples),
        "max_ms": max(samples),
        "n": repeat,
        "conforms": outcome.conforms,
        "report": outcome.report.text[:500],
        "context_triples": outcome.context_triples,
        "queries": outcome.queries,
    }


def fast_build(project: Path, build: Path) -> dict:
    """A store like ``nexus-ld build`` writes, by the build's own stages (``pipeline.build.STAGES``):
    load, infer (the rules), derive, optimize, with no SHACL check and no dumps but one N-Quads dump
    (measured here): what build costs at 10M triples if it took this path."""
    import gzip

    from nexus_ld.config import load_settings
    from nexus_ld.pipeline.build import Run, graph_counts, run_stage
    from nexus_ld.pipeline.publish.counts import site_counts
    from nexus_ld.store.embedded import RELEASE_FILE

    settings = load_settings(
        {"project_dir": str(project), "build_dir": str(build), "inference": "rules"}, environ={}
    )
    started = time.perf_counter()
    run = Run.start(settings, build)
    stages = {name: run_stage(run, name) for name in ("load", "infer", "derive", "tables")}
    t0 = time.perf_counter()
    counts = graph_counts(run.store)
    (build / "dumps").mkdir()
    with gzip.open(build / "dumps" / "all.nq.gz", "wb", compresslevel=1) as fh:
        run.store.ox.dump(fh, format=ox.RdfFormat.N_QUADS)
    stages["dump"] = time.perf_counter() - t0
    stages["optimize"] = run_stage(run, "optimize")
    release = {
        "release": "bench",
        "base": DEFAULT_BASE,
        "graphs": counts,
        "triples": sum(counts.values()),
        "derived": run.release["derived"],
        "site": site_counts(run.store),  # the pages' counts, as build writes them
    }
    (build / RELEASE_FILE).write_text(json.dumps(release, indent=2), encoding="utf-8")
    return {"seconds": time.perf_counter() - started, "stages": stages, "triples": release["triples"]}


def derive_again(build: Path) -> dict:
    """The build's derive stage run again on a finished build's store, so that a cached generated
    build (hours to make at 10M) gains the derived triples of ``.rq`` files added since it was made.
    It writes into the store: run it on a copy, never on a build another run reads."""
    from nexus_ld.pipeline.build import derive
    from nexus_ld.store.embedded import RELEASE_FILE, STORE_DIR, Store

    release = json.loads((build / RELEASE_FILE).read_text(encoding="utf-8"))
    store = Store(ox.Store(str((build / STORE_DIR).resolve())), release["base"])
    started = time.perf_counter()
    added = derive(store)
    store.optimize()
    return {"seconds": time.perf_counter() - started, "derived": added}


def main(argv: list[str]) -> int:
    task, *args = argv
    if task == "load-memory":
        out = load_memory(Path(args[0]))
    elif task == "infer":
        out = infer(args[0], Path(args[1]))
    elif task == "contribution":
        out = contribution(Path(args[0]), Path(args[1]), int(args[2]) if len(args) > 2 else 10)
    elif task == "fast-build":
        out = fast_build(Path(args[0]), Path(args[1]))
    elif task == "derive":
        out = derive_again(Path(args[0]))
    else:
        print(f"unknown task {task!r}", file=sys.stderr)
        return 2
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
