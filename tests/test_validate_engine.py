"""pyshacl-turbo (the engine of validate.py) gives pySHACL's results on our shapes.

pySHACL is the reference implementation; it is installed with the ``test`` extra only to be compared
with here. Each fixture is validated with the entity files and the ontology, as tests/test_shapes.py does.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pyshacl
import pytest
from rdflib import BNode, Graph

from nexus_ld import load
from nexus_ld.validate import Result, owner, parse_results, validate

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "data"
CASES = [None, *sorted((FIXTURES / "bad").glob("*.ttl"))]


@pytest.fixture(scope="module")
def graphs() -> dict[str, Graph]:
    return {
        "ontology": load.parse_files(load.ontology_files(ROOT)),
        "shapes": load.parse_files(load.shape_files(ROOT)),
        "entities": load.parse_files(sorted((ROOT / "data").glob("*.ttl"))),
    }


def key(result: Result, context: object) -> tuple[str, ...]:
    focus = str(context) if isinstance(result.focus, BNode) else str(result.focus)
    value = "[]" if isinstance(result.value, BNode) else str(result.value)
    return (result.severity, result.message, focus, str(result.path), value, str(result.shape))


@pytest.mark.parametrize("path", CASES, ids=["entities", *(p.stem for p in CASES[1:])])
def test_pyshacl_turbo_gives_pyshacls_results(path: Path | None, graphs: dict[str, Graph]) -> None:
    data = graphs["entities"] + (load.parse_file(path) if path else Graph())
    ours = validate(data, graphs["shapes"], graphs["ontology"])
    combined = data + graphs["ontology"]
    conforms, report, _ = pyshacl.validate(
        combined, shacl_graph=graphs["shapes"], allow_warnings=True, allow_infos=True
    )
    reference = parse_results(report, graphs["shapes"])
    assert ours.conforms == conforms
    assert Counter(key(r, r.context) for r in ours.results) == Counter(
        key(r, owner(combined, r.focus) if isinstance(r.focus, BNode) else None) for r in reference
    )
