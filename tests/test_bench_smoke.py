"""The benchmark's generator writes data that parses and conforms, and its runner writes results.

No time is asserted here: speed is measured by bench/run, never in tests.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest

from bench import generate
from nexus_ld.namespaces import DEFAULT_BASE
from nexus_ld.pipeline.checks.dataset import check_root

pytestmark = pytest.mark.live  # the benchmark's servers and processes

ROOT = Path(__file__).resolve().parents[1]
TRIVIAL = "repeated /sparql trivial SELECT (one entity's labels)"  # bench_front.py's cheapest row


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("bench") / "project"
    return out, generate.generate(generate.parse_size("tiny"), out, seed=3)


def test_generator_writes_a_project_folder(tiny):
    project, summary = tiny
    for part in (
        "ontology/nexus.ttl",
        "shapes/claims.ttl",
        "data/groups.ttl",
        "data/sources.ttl",
        "data/claims/0001.ttl",
        "data/sources/synthetic-0001.txt",
        "contribution.ttl",
    ):
        assert (project / part).is_file(), part
    assert summary["counts"]["claim"] > 30
    assert {"group", "person", "event", "relationship", "membership", "source"} <= set(summary["counts"])


def test_generated_triples_parse_and_match_the_count(tiny):
    project, summary = tiny
    total = sum(
        1
        for path in (project / "data").rglob("*.ttl")
        for _ in ox.parse(path=str(path), base_iri=DEFAULT_BASE)
    )
    assert total == summary["data_triples"]
    assert abs(total - generate.parse_size("tiny")) < 0.05 * generate.parse_size("tiny")


def test_generated_data_conforms_to_the_shapes_and_checks(tiny):
    project, _ = tiny
    report = check_root(project, DEFAULT_BASE)
    assert report.conforms, report.text[:2000]
    assert report.violations == []


def test_generated_source_checksums_and_quotes_hold(tiny):
    project, _ = tiny
    store = ox.Store()
    for path in (project / "data").rglob("*.ttl"):
        store.bulk_load(path=str(path), base_iri=DEFAULT_BASE)
    text = (project / "data" / "sources" / "synthetic-0001.txt").read_text(encoding="utf-8")
    rows = list(
        store.query("""
        PREFIX nx: <https://w3id.org/nexus-ld/ontology#> PREFIX oa: <http://www.w3.org/ns/oa#>
        SELECT ?exact ?start ?end ?sha WHERE {
          ?claim nx:evidence [ oa:hasSource ?source ;
                               oa:hasSelector [ oa:exact ?exact ], [ oa:start ?start ; oa:end ?end ] ] .
          ?source nx:textFile "synthetic-0001.txt" ; nx:sha256 ?sha .
        }""")
    )
    assert len(rows) > 30
    for row in rows:
        assert text[int(row["start"].value) : int(row["end"].value)] == row["exact"].value
    assert rows[0]["sha"].value == hashlib.sha256(text.encode("utf-8")).hexdigest()


def test_generator_is_deterministic(tiny, tmp_path):
    project, summary = tiny
    again = generate.generate(generate.parse_size("tiny"), tmp_path / "again", seed=3)
    assert again == summary
    first = (project / "data" / "claims" / "0001.ttl").read_bytes()
    assert (tmp_path / "again" / "data" / "claims" / "0001.ttl").read_bytes() == first


def run_bench(*args: str) -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "run"), "--smoke", "--sizes", "tiny", "--no-scale-out", *args],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]


@pytest.fixture(scope="module")
def smoke(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """One smoke run of bench/run with its default servers and the front: its results and work folders."""
    folder = tmp_path_factory.mktemp("bench-run")
    out, work = folder / "results", folder / "work"
    run_bench("--no-examples", "--fast-build", "--owlrl-max", "0", "--out", str(out), "--work", str(work))
    return out, work


def test_runner_smoke_writes_results(smoke):
    out, _ = smoke
    result = json.loads((out / "tiny.json").read_text(encoding="utf-8"))
    assert result["machine"]["cores"] >= 1
    assert result["build"]["ok"] and result["build"]["triples"] > 2000
    # The fast build (what the servers use above --build-max) makes the store `nexus-ld build` makes.
    assert result["fast_build"]["triples"] == result["build"]["triples"]
    assert result["contribution"]["conforms"] is True
    assert result["check"]["note"] == "Conforms"
    shapes = {
        "entity-description",
        "statements-with-evidence",
        "two-hop-date",
        "count-by-type",
        "property-path",
        "text-search",
        # issue 15's per-request shapes
        "ask",
        "entity-labels",
        "entity-construct",
        "claims-about",
        "count-all",
    }
    # The default servers: issue 15's three contenders and `oxigraph serve`.
    contenders = ("nexus-gunicorn", "nexus-gthread", "nexus-granian")
    assert set(result["servers"]) == {*contenders, "oxigraph"}
    for server in result["servers"].values():
        assert "error" not in server, server
        latency = {t["shape"]: t for t in server["latency"]}
        assert shapes <= set(latency)
        assert all(t["n"] >= 1 and not t["error"] for t in latency.values())
        assert server["throughput"]["non_2xx"] == 0
        assert server["load_1min"] >= 0
    # The servers answer the entity description with the same triples as the store in-process.
    embedded = {t["shape"]: t["results"] for t in result["embedded"]}
    served = {t["shape"]: t["results"] for t in result["servers"]["nexus-gunicorn"]["latency"]}
    assert served["entity-description"] == embedded["entity-description"] > 0
    assert served["ask"] == 1 and served["count-all"] == 1 and served["entity-construct"] > 0
    for name in contenders:
        # The same app under each: the same answers, and every shape's ratio paired with oxigraph.
        assert {t["shape"]: t["results"] for t in result["servers"][name]["latency"]} == served
        ratios = result["servers"][name]["ratios"]
        paired = {t["shape"]: t for t in result["servers"][name]["latency"]}["count-by-type"]
        assert paired["reference_p50_ms"] > 0
        assert ratios["count-by-type"] == paired["p50_ms"] / paired["reference_p50_ms"]
        assert set(ratios) == shapes
    # Every query a page runs is timed in process, with its answer read to the end.
    timed = {q["query"]: q for q in result["queries"]}
    described = next(q for name, q in timed.items() if name.startswith("doc:describe("))
    assert described["n"] >= 1 and described["results"] > 0
    assert {"build:class-counts", "build:timeline", "build:network-edges", "build:claims"} <= set(timed)
    assert {"page:/timeline", "page:/claims", "page:/network.json"} <= set(timed)  # read the page tables
    assert not any(name.startswith("example:") for name in timed)  # --no-examples
    # The front (bench/bench_front.py --json): nginx's cache, gunicorn alone, oxigraph, each request.
    front = result["front"]
    assert "error" not in front, front
    rows = {(r["request"], r["contender"]): r for r in front["rows"]}
    assert all(r["requests_per_s"] > 0 and r["failed"] == 0 and r["load_1min"] >= 0 for r in rows.values())
    cached = rows[(TRIVIAL, "nginx cache")]
    oxigraph = rows[(TRIVIAL, "oxigraph")]
    assert cached["ratio_to_oxigraph"] == cached["requests_per_s"] / oxigraph["requests_per_s"]
    assert ("distinct /sparql trivial SELECT (all misses)", "gunicorn alone") in rows
    assert ("repeated /sparql example 03-allegations", "nginx cache") in rows  # every example query
    # Cached rows over the ceiling; every request of a miss row forwarded to gunicorn (wrk counted them).
    assert cached["ratio_to_ceiling"] == cached["requests_per_s"] / front["ceiling_rps"]
    misses = [r for (request, label), r in rows.items() if request.startswith("distinct")]
    assert any("example 03-allegations" in r["request"] for r in misses)  # real queries, made unique
    for r in misses:
        assert r["requests"] > 0 and r["cpu_ms_per_request"]["gunicorn"] > 0, r
        if r["contender"] == "nginx cache":
            assert r["cache_status"] == {"MISS": r["requests"]}, r
    # Each miss row judged in pairs: its throughput rounds, its latency pairs (every front answer a MISS).
    paired = {m["request"]: m for m in front["misses"]}
    assert set(paired) == {r["request"] for r in misses}
    for m in paired.values():
        latency = m["latency"]
        assert latency["pairs"] > 0 and latency["failed"] == 0, m
        assert latency["cache_status"] == {"MISS": sum(latency["cache_status"].values())}, m
        assert latency["ratio_ci"][0] <= latency["ratio"] <= latency["ratio_ci"][1], m
        assert m["throughput"]["rounds"] >= 1
        for said in (m["throughput"]["verdict"], latency["verdict"]):
            assert re.match(r"(slower by|faster by|no slower within) \d+\.\d% \(95% CI ", said), m
    cached_doc = {request: r for (request, label), r in rows.items() if label == "nginx cache"}
    gzip = next(r for request, r in cached_doc.items() if "gzip" in request)
    plain = next(r for request, r in cached_doc.items() if "(Turtle)" in request)
    assert gzip["content_encoding"] == "gzip" and 0 < gzip["bytes"] < plain["bytes"]
    # Each step with the load average it started under.
    steps = [s["step"] for s in result["steps"]]
    assert "server nexus-gthread" in steps and any(s.startswith("front:") for s in steps)
    assert all(s["load_1min"] >= 0 and s["at_s"] >= 0 for s in result["steps"])
    markdown = (out / "tiny.md").read_text(encoding="utf-8")
    assert "## Example and page queries, in process" in markdown and "| build:timeline |" in markdown
    assert "## Latency per query shape over HTTP" in markdown and "| entity-description |" in markdown
    readme = (out / "README.md").read_text(encoding="utf-8")
    assert "| tiny |" in readme
    # Issue 15's tables across sizes: ratios per shape and server, queries' times, the front.
    issue = readme[readme.index("## Issue 15") :]
    assert "| count-by-type | " in issue[issue.index("### (a)") : issue.index("### (b)")]
    assert "| build:timeline | " in issue[issue.index("### (b)") : issue.index("### (c)")]
    assert f"| tiny | {TRIVIAL} | nginx cache | " in issue[issue.index("### (c)") :]
    assert "| tiny | distinct /sparql trivial SELECT (all misses) | " in issue[issue.index("### (c)") :]
    assert "| tiny | server nexus-granian | " in issue[issue.index("### (d)") :]
    assert "data generated and built by this run" in issue


def test_runner_reuses_a_cached_build_without_writing_to_it(smoke, tmp_path):
    _, work = smoke

    def files() -> list[tuple[str, int, float]]:
        return sorted((str(p), p.stat().st_size, p.stat().st_mtime) for p in work.rglob("*"))

    before = files()
    release = json.loads((work / "tiny" / "build" / "release.json").read_text(encoding="utf-8"))
    out = tmp_path / "results"
    # Above --servers-max only the queries run in process; the build and project are only read.
    run_bench(
        *("--reuse", "--servers-max", "1000", "--build-queries-max", "1000", "--no-examples"),
        *("--out", str(out), "--work", str(work)),
    )
    assert files() == before
    result = json.loads((out / "tiny.json").read_text(encoding="utf-8"))
    assert result["reused"]["release"] == release["release"] and result["reused"]["date"]
    assert "generate" not in result and "build" not in result  # nothing made again
    assert "servers" not in result and "front" not in result and "contribution" not in result
    assert any("--servers-max" in note for note in result["notes"])
    timed = {q["query"] for q in result["queries"]}
    assert {"page:/claims", "doc:exists(sg-000000)"} <= timed
    assert not any(name.startswith("build:") for name in timed)  # above --build-queries-max
    readme = (out / "README.md").read_text(encoding="utf-8")
    assert f"reused build {work / 'tiny'} (release {release['release']}" in readme


def test_runner_reports_a_query_a_stale_build_fails_and_times_the_others(smoke, tmp_path):
    _, work = smoke
    stale, out = tmp_path / "work", tmp_path / "results"
    shutil.copytree(work / "tiny", stale / "tiny", symlinks=True)
    (stale / "tiny" / "build" / "current" / "tables" / "network.sqlite").unlink()  # an older build's
    run_bench("--reuse", "--servers-max", "1000", "--no-examples", "--out", str(out), "--work", str(stale))
    timed = {q["query"]: q for q in json.loads((out / "tiny.json").read_text(encoding="utf-8"))["queries"]}
    assert "network" in timed["page:/network"]["error"]
    assert timed["page:/claims"]["results"] > 0 and timed["build:timeline"]["results"] > 0
    lines = (out / "README.md").read_text(encoding="utf-8").splitlines()
    row = next(line for line in lines if line.startswith("| page:/network |"))
    assert "| error: " in row and row.endswith("| not timed: tiny |")


def test_bench_requests_floor_runs_an_empty_flask_app_under_each_server(built, tmp_path):
    """``bench_requests.py --floor``: each server runs ``bench/floor_app.py`` in place of nexus-ld,
    paired with ``oxigraph serve`` on ``ASK {}`` (the server's and Flask's share of the ratio), with
    the CPU time each spent per request."""
    out = tmp_path / "floor.json"
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "bench_requests.py"),
            *("--build", str(built.build / "current"), "--project", str(built.project)),
            *("--servers", "nexus-gunicorn,nexus-granian", "--reps", "5", "--budget", "5"),
            *("--floor", "--json", str(out)),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(out.read_text(encoding="utf-8"))
    floors = {"nexus-gunicorn": "floor_app:create_app()", "nexus-granian": "floor_app:create_app"}
    assert result["apps"] == floors
    for rows in result["servers"].values():
        assert [row["shape"] for row in rows] == ["ask"]
        assert rows[0]["error"] == "" and rows[0]["n"] == 5 and rows[0]["reference_p50_ms"] > 0
        # CPU time per request of each server's processes (10 ms ticks: five requests may show 0).
        assert rows[0]["cpu_ms"] >= 0 and rows[0]["reference_cpu_ms"] >= 0


def test_bench_queries_times_every_page_query_on_a_cached_build(tmp_path):
    out = tmp_path / "queries.json"
    argv = [
        sys.executable,
        str(ROOT / "bench" / "bench_queries.py"),
        "--size",
        "tiny",
        "--work",
        str(tmp_path),
    ]
    for run in (1, 2):  # the second run finds the build of the first and only times
        done = subprocess.run(
            [*argv, "--reps", "1", "--json", str(out)], capture_output=True, text=True, timeout=600
        )
        assert done.returncode == 0, done.stderr[-3000:]
        assert ("built " in done.stderr) == (run == 1)
    timed = {q["query"]: q for q in json.loads(out.read_text(encoding="utf-8"))["queries"]}
    assert next(q for name, q in timed.items() if name.startswith("doc:exists("))["results"] == 1
    assert next(q for name, q in timed.items() if name.startswith("doc:describe("))["results"] > 0
    assert (
        timed["build:claim-statuses"]["results"] > 0
        and timed["example:09-claims-by-status-and-source"]["results"] > 0
    )
    assert "| build:timeline |" in done.stdout and timed["page:/timeline"]["results"] > 0


def test_bench_queries_compares_answers_row_by_row_in_order():
    # --against reports whether a rewritten query keeps its answer; a different order is a different answer.
    from bench import bench_queries

    store = ox.Store()
    p = ox.NamedNode("http://example.org/p")
    for s, o in (("a", "2"), ("b", "1")):
        store.add(ox.Quad(ox.NamedNode(f"http://example.org/{s}"), p, ox.Literal(o)))
    by_s = "SELECT ?s ?o WHERE { ?s ?p ?o } ORDER BY ?s"
    by_o = "SELECT ?s ?o WHERE { ?s ?p ?o } ORDER BY ?o"
    assert bench_queries.answer(store.query(by_s)) == bench_queries.answer(store.query(by_s))
    assert bench_queries.answer(store.query(by_s)) != bench_queries.answer(store.query(by_o))
    assert bench_queries.answer(store.query("ASK { ?s ?p ?o }")) is True
