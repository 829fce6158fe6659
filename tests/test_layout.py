"""The folders' rules (each folder's README.md), checked by reading the imports of every module (ast)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "nexus_ld"
MAX_LINES = 400
WEB_FRAMEWORK = ("flask", "werkzeug")
OX_NAMES = ("ox", "pyoxigraph")


def _modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def _rel(path: Path) -> str:
    return path.relative_to(PACKAGE).as_posix()


def _imports(path: Path) -> set[str]:
    """Every module ``path`` imports (absolute names; relative imports resolved)."""
    inside = path.is_relative_to(PACKAGE)
    package = ["nexus_ld", *path.relative_to(PACKAGE).parent.parts] if inside else ["nexus_ld"]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, *([node.module] if node.module else [])])
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


def _in(folder: str) -> list[Path]:
    return [p for p in _modules() if _rel(p).startswith(folder + "/")]


def _offending(paths: list[Path], prefixes: tuple[str, ...]) -> dict[str, list[str]]:
    bad = {}
    for path in paths:
        hits = sorted(m for m in _imports(path) if any(m == p or m.startswith(p + ".") for p in prefixes))
        if hits:
            bad[_rel(path)] = hits
    return bad


@pytest.mark.parametrize("folder", ["pipeline", "store", "contributions"])
def test_only_web_imports_flask(folder: str) -> None:
    assert _offending(_in(folder), WEB_FRAMEWORK) == {}


def test_store_is_the_bottom_layer() -> None:
    assert _offending(_in("store"), ("nexus_ld.pipeline", "nexus_ld.contributions", "nexus_ld.web")) == {}


@pytest.mark.parametrize("folder", ["pipeline", "contributions"])
def test_nothing_below_web_imports_web(folder: str) -> None:
    assert _offending(_in(folder), ("nexus_ld.web",)) == {}


def test_web_reads_the_pipeline_only_through_what_it_published() -> None:
    """The server reads the build's published files (dumps, VoID, search index, source texts), never
    runs a stage of the pipeline."""
    published = ("nexus_ld.pipeline.publish", "nexus_ld.pipeline.sources")
    bad = {
        rel: hits
        for rel, hits in _offending(_in("web"), ("nexus_ld.pipeline",)).items()
        if any(not h.startswith(published) and h != "nexus_ld.pipeline" for h in hits)
    }
    assert bad == {}


def _touches_store_objects(path: Path) -> list[int]:
    """Lines that open a pyoxigraph store (``ox.Store``/``pyoxigraph.Store``) or reach into a
    ``Store``'s ``.ox``."""
    lines = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Attribute):
            if node.attr == "ox":
                lines.append(node.lineno)
            elif (
                node.attr == "Store"
                and isinstance(node.value, ast.Name)
                and node.value.id in ("ox", "pyoxigraph")
            ):
                lines.append(node.lineno)
        elif isinstance(node, ast.ImportFrom) and node.module == "pyoxigraph":
            if any(alias.name == "Store" for alias in node.names):
                lines.append(node.lineno)
    return sorted(lines)


def test_only_store_touches_pyoxigraph_store_objects() -> None:
    """The build's store and the in-memory ones (checks, rules) are written through store/ too."""
    touching = {_rel(p) for p in _modules() if not _rel(p).startswith("store/") and _touches_store_objects(p)}
    assert touching == set()


def test_no_module_is_over_400_lines() -> None:
    long = {
        _rel(p): n for p in _modules() if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}


@pytest.mark.parametrize("folder", ["pipeline", "store", "contributions", "web"])
def test_each_folder_states_its_rule(folder: str) -> None:
    text = (PACKAGE / folder / "README.md").read_text(encoding="utf-8")
    assert "Rule" in text and "tests/test_layout.py" in text


def test_the_checker_sees_a_violation(tmp_path: Path) -> None:
    """The scan is not blind: a module that imports Flask and opens a store is caught."""
    sample = tmp_path / "sample.py"
    sample.write_text("import pyoxigraph as ox\nfrom flask import request\ns = ox.Store()\nt = s.ox\n")
    assert "flask" in _imports(sample) and "flask.request" in _imports(sample)
    assert _touches_store_objects(sample) == [3, 4]
