"""Build as declared stages (``pipeline.build.STAGES``): ``build`` runs them in order, and a caller
(bench/tasks.py's fast build) runs the ones it measures, one by one, on the same ``Run``."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
from conftest import PROJECT_ROOT, settings_for

from nexus_ld.config import Settings
from nexus_ld.pipeline.build import INFERRED_QUERIES, STAGES, Run, graph_counts, run_stage
from nexus_ld.store.embedded import RELEASE_FILE, STORE_DIR

BENCH = PROJECT_ROOT / "bench"


def test_the_stages_are_declared_in_build_order() -> None:
    assert list(STAGES) == [
        *("load", "infer", "derive", "truthy", "release", "tables", "dumps", "search", "optimize")
    ]


def test_a_caller_runs_chosen_stages_one_by_one(project_dir: Path, tmp_path: Path) -> None:
    lines: list[str] = []
    settings = settings_for(project_dir, build_dir=str(tmp_path / "build"), inference="rules")
    run = Run.start(settings, tmp_path / "staging", lines.append)
    assert graph_counts(run.store)["data"] == 0

    seconds = [run_stage(run, name) for name in ("load", "infer", "derive")]

    counts = graph_counts(run.store)
    assert counts["data"] > 1000 and counts["ontology"] > 100 and counts["inferred"] > 0
    assert counts["truthy"] > 0 and run.release["derived"]["truthy-triples"] > 0
    assert all(s >= 0 for s in seconds)
    assert lines[0] == f"loading the store ({tmp_path / 'staging' / 'store'})"
    # Each stage reports its line as `build` does; bench/run reads these names.
    timed = [re.sub(r" \(\d+\.\d s\)$", "", line.strip()) for line in lines if line.startswith("  ")]
    assert timed[0] == "load" and timed[1].startswith("infer: ") and timed[2] == "truthy graph"
    assert not (tmp_path / "build").exists()  # stages write only into the staging folder


def test_bench_derive_adds_the_derived_triples_to_a_copy_of_a_finished_build(
    built: Settings, tmp_path: Path
) -> None:
    # bench/tasks.py derive: a cached generated build gains the derived triples of new .rq files.
    copy = tmp_path / "build"
    shutil.copytree(Path(built.build).resolve(), copy, symlinks=True)
    store_dir = (copy / STORE_DIR).resolve()
    store = ox.Store(str(store_dir))
    release = json.loads((copy / RELEASE_FILE).read_text(encoding="utf-8"))
    inferred = ox.NamedNode(release["base"] + "graph/inferred")
    before = len(list(store.quads_for_pattern(None, None, None, inferred)))
    store.remove_graph(inferred)  # as if derive's queries were new to this build
    del store

    done = subprocess.run(
        [sys.executable, str(BENCH / "tasks.py"), "derive", str(copy)],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )

    out = json.loads(done.stdout)
    assert out["derived"] == release["derived"]
    after = ox.Store.read_only(str(store_dir))
    years = sum(1 for _ in after.quads_for_pattern(None, None, None, inferred))
    assert 0 < years < before  # derive's triples are back; the OWL entailments were not its to remake
    assert years == sum(release["derived"][name] for name in INFERRED_QUERIES)
