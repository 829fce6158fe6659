"""Shared helpers of the tests/test_contributions_*.py files: project copies, builds, the good fixture."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from functools import cache
from pathlib import Path

from nexus_ld.build import build
from nexus_ld.config import PROJECT_ROOT, Settings, load_settings

FIXTURES = PROJECT_ROOT / "tests" / "data" / "contributions"
GOOD = FIXTURES / "good"
BAD = FIXTURES / "bad"
TURTLE = {"Content-Type": "text/turtle"}


def copy_project(target: Path, source: Path = PROJECT_ROOT) -> Path:
    """A copy of the project's inputs (ontology, shapes, data, example queries) to build and change freely."""
    target.mkdir(parents=True, exist_ok=True)
    for name in ("ontology", "shapes", "data", "queries"):
        if (source / name).exists():
            shutil.copytree(source / name, target / name, dirs_exist_ok=True)
    return target


def settings_for(project: Path, **overrides) -> Settings:
    values = {
        "project_dir": str(project),
        "build_dir": str(project / "build"),
        "inbox_path": str(project / "inbox" / "contributions.sqlite"),
        "contribution_rate_per_minute": 0,
    }
    return load_settings(values | overrides, environ={})


def built_copy(target: Path, source: Path = PROJECT_ROOT, **overrides) -> Settings:
    """Copy the project to ``target`` and build it there; the settings of that build."""
    settings = settings_for(copy_project(target, source), **overrides)
    build(settings)
    return settings


# The builds below are made once per test session (cached) and shared read-only by the test files;
# a test that writes (accept -> build) works on its own copy (``writable_copy``).
SOURCE = PROJECT_ROOT


@cache
def bundled() -> Settings:
    """A build of a copy of the bundled data."""
    return built_copy(Path(tempfile.mkdtemp(prefix="nexus-ld-contrib-")) / "project", SOURCE)


@cache
def synthetic() -> Settings:
    """A build of synthetic data larger than the bundled data (bench/generate.py, 10k triples)."""
    target = Path(tempfile.mkdtemp(prefix="nexus-ld-synthetic-")) / "project"
    subprocess.run(
        [sys.executable, str(PROJECT_ROOT / "bench" / "generate.py"), "--size", "10k", "--out", str(target)],
        check=True,
        capture_output=True,
    )
    settings = settings_for(target)
    build(settings)
    return settings


def writable_copy(settings: Settings, target: Path) -> Settings:
    """A copy of a built project (inputs and build) that a test may change and rebuild."""
    shutil.copytree(settings.project, target, ignore=shutil.ignore_patterns("inbox"))
    return settings_for(target)
