"""Both SHACL engines of validate.py give pySHACL's results on our shapes; the engine is chosen safely.

pySHACL is the reference implementation. Each fixture is validated with the entity files and the
ontology, as tests/test_shapes.py does, once per engine (the ``shacl_engine`` fixture). The choice of
engine: the turbo pair only as the exact pair the ``fast`` extra pins, and no pre-release in the core.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from functools import cache
from importlib import metadata
from pathlib import Path

import pyshacl
import pytest
from click.testing import CliRunner
from packaging.requirements import Requirement
from packaging.version import Version
from rdflib import BNode, Graph

from nexus_ld.cli import main
from nexus_ld.pipeline import load
from nexus_ld.pipeline.shapes import (
    EngineError,
    choose_engine,
    fast_pins,
    owner,
    parse_results,
    validate,
)
from nexus_ld.report import Result

FIXTURES = Path(__file__).resolve().parent / "data"
CASES = [None, *sorted((FIXTURES / "bad").glob("*.ttl"))]


@pytest.fixture(scope="module")
def graphs(project_dir: Path) -> dict[str, Graph]:
    return {
        "ontology": load.parse_files(load.ontology_files(project_dir)),
        "shapes": load.parse_files(load.shape_files(project_dir)),
        "entities": load.parse_files(sorted((project_dir / "data").glob("*.ttl"))),
    }


def key(result: Result, context: object) -> tuple[str, ...]:
    focus = str(context) if isinstance(result.focus, BNode) else str(result.focus)
    value = "[]" if isinstance(result.value, BNode) else str(result.value)
    return (result.severity, result.message, focus, str(result.path), value, str(result.shape))


@pytest.fixture(scope="module")
def references(graphs: dict[str, Graph]) -> Callable[[Path | None], tuple[bool, Counter]]:
    """pySHACL's verdict and results on a case, computed once for both engines' tests."""

    @cache
    def reference(path: Path | None) -> tuple[bool, Counter]:
        combined = graphs["entities"] + (load.parse_file(path) if path else Graph()) + graphs["ontology"]
        conforms, report, _ = pyshacl.validate(
            combined, shacl_graph=graphs["shapes"], allow_warnings=True, allow_infos=True
        )
        results = parse_results(report, graphs["shapes"])
        return bool(conforms), Counter(
            key(r, owner(combined, r.focus) if isinstance(r.focus, BNode) else None) for r in results
        )

    return reference


@pytest.mark.parametrize("path", CASES, ids=["entities", *(p.stem for p in CASES[1:])])
def test_each_engine_gives_pyshacls_results(
    path: Path | None,
    graphs: dict[str, Graph],
    references: Callable[[Path | None], tuple[bool, Counter]],
    shacl_engine: str,
) -> None:
    data = graphs["entities"] + (load.parse_file(path) if path else Graph())
    ours = validate(data, graphs["shapes"], graphs["ontology"])
    conforms, reference = references(path)
    assert ours.conforms == conforms
    assert Counter(key(r, r.context) for r in ours.results) == reference


# --- choosing the engine ---------------------------------------------------------------------------

PINNED = {"pyshacl-turbo": "0.6.5", "rdflib-turbo": "0.2.0a17"}
NEWER_STORE = {"pyshacl-turbo": "0.6.5", "rdflib-turbo": "0.2.0a18"}  # "different SHACL engine sources"


def test_the_fast_extra_pins_the_pair_exactly() -> None:
    assert fast_pins() == PINNED


def test_auto_takes_the_turbo_pair_when_the_pinned_pair_is_installed() -> None:
    assert choose_engine("auto").name == "turbo"  # the test venv installs nexus-ld[fast]
    assert choose_engine("auto", PINNED).note == ""


def test_auto_falls_back_to_pyshacl_on_a_mismatched_pair_and_says_why() -> None:
    chosen = choose_engine("auto", NEWER_STORE)
    assert chosen.name == "pyshacl"
    assert "rdflib-turbo 0.2.0a18" in chosen.note and "rdflib-turbo 0.2.0a17" in chosen.note
    assert "pip install 'nexus-ld[fast]'" in chosen.note


def test_auto_without_the_fast_extra_is_pyshacl_silently() -> None:
    assert choose_engine("auto", dict.fromkeys(PINNED)) == choose_engine("pyshacl")
    assert choose_engine("pyshacl").note == ""


@pytest.mark.parametrize("installed", [NEWER_STORE, dict.fromkeys(PINNED), {**PINNED, "rdflib-turbo": None}])
def test_turbo_is_refused_without_the_pinned_pair(installed: dict[str, str | None]) -> None:
    with pytest.raises(EngineError, match=r"pip install 'nexus-ld\[fast\]'"):
        choose_engine("turbo", installed)


def test_the_cli_refuses_an_unknown_engine_at_start_up() -> None:
    result = CliRunner().invoke(main, ["--setting", "shacl_engine", "fastest", "check"])
    assert result.exit_code == 2
    assert "unknown SHACL engine 'fastest'" in result.output
    assert "Traceback" not in result.output


def test_the_core_dependencies_pin_no_pre_release() -> None:
    """`pip install nexus-ld` pulls no alpha: no core requirement names or admits a pre-release."""
    every = [Requirement(r) for r in metadata.requires("nexus-ld") or []]
    core = [r for r in every if r.marker is None or r.marker.evaluate({"extra": ""})]
    assert {r.name for r in core} >= {"rdflib", "pyshacl", "pyoxigraph"}
    for req in core:
        assert not any(Version(spec.version).is_prerelease for spec in req.specifier), req
        assert req.specifier.prereleases is not True, req
