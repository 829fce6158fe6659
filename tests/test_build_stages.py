"""Build as declared stages (``pipeline.build.STAGES``): ``build`` runs them in order, and a caller
(bench/tasks.py's fast build) runs the ones it measures, one by one, on the same ``Run``."""

from __future__ import annotations

import re
from pathlib import Path

from conftest import settings_for

from nexus_ld.pipeline.build import STAGES, Run, graph_counts, run_stage


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
