#!/usr/bin/env python3
"""Per-request cost: nexus-ld under gunicorn sync, gunicorn gthread and granian, each paired with
`oxigraph serve` on the same build (the same query sent to both, in alternating order), on five
small shapes where the HTTP stack is most of the time.

    python bench/bench_requests.py --size 10k --work DIR     # DIR/<size>/build (bench_queries.py makes it)
    python bench/bench_requests.py --build build --project .  # the bundled build

Prints per shape and server the two p50s and their ratio; ``--json`` writes them. Asserts nothing.
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
import servers  # noqa: E402
import workload  # noqa: E402

PREFIXES = """PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX nx: <https://w3id.org/nexus-ld/ontology#>
"""
SHAPES = {
    "ask": "ASK {}",
    "labels": PREFIXES + "SELECT ?l WHERE { <urn:nexus-ld-bench:group> rdfs:label|skos:altLabel ?l }",
    "construct": "CONSTRUCT { <urn:nexus-ld-bench:group> ?p ?o } WHERE { <urn:nexus-ld-bench:group> ?p ?o }",
    "claims-about": PREFIXES
    + "SELECT ?claim ?status WHERE { ?claim nx:about <urn:nexus-ld-bench:group> ; nx:status ?status }",
    "count": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }",
}
CONTENDERS = ("nexus-gunicorn", "nexus-gthread", "nexus-granian")


def shapes(groups: list[str]) -> list[workload.Shape]:
    return [
        workload.Shape(name, text, "sparql", [{"group": g} for g in groups] if "urn:" in text else [{}])
        for name, text in SHAPES.items()
    ]


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
    args = parser.parse_args(argv)
    here = args.work / generate.size_label(generate.parse_size(args.size))
    build, project = args.build or here / "build", args.project or here / "project"
    groups = workload.parameters(project)["group"] if (project / "data" / "groups.ttl").exists() else []
    groups = groups or ["https://w3id.org/nexus-ld/id/group/ttp"]
    shape_list = shapes(groups)
    reference = servers.make("oxigraph", build, project)
    reference.start(timeout=60)
    found: dict[str, list[dict]] = {}
    try:
        for name in args.servers.split(","):
            server = servers.make(name, build, project, workers=args.workers)
            server.start(timeout=60)
            try:
                timings = workload.http_latency(
                    server.endpoint,
                    server.url,
                    shape_list,
                    args.reps,
                    args.budget,
                    timeout=30,
                    reference=(reference.endpoint, reference.params),
                )
            finally:
                server.stop()
                server.log.unlink(missing_ok=True)
            found[name] = [t.to_json() for t in timings]
    finally:
        reference.stop()
        reference.log.unlink(missing_ok=True)
    print(f"build {build}; p50 ms of the server / of oxigraph serve beside it (ratio), n pairs\n")
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
    if args.json:
        args.json.write_text(json.dumps({"build": str(build), "servers": found}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
