"""The shapes and the checks (``checks/dataset.py``) against data-driven fixtures, like pySHACL's dash tests.

Every ``tests/data/bad/*.ttl`` starts with ``# expect: <message>`` and must produce a violation whose
message contains it, validated together with the project's ontology, shapes and entity files
(``data/*.ttl``). ``truthy-*.ttl`` fixtures stand for a truthy graph and go through ``truthy_report``.
``tests/data/good/*.ttl`` must conform without a single result.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from nexus_ld.pipeline import load
from nexus_ld.pipeline.checks import dataset, sparql, truthy
from nexus_ld.report import Report

FIXTURES = Path(__file__).resolve().parent / "data"
BAD = sorted((FIXTURES / "bad").glob("*.ttl"))
GOOD = sorted((FIXTURES / "good").glob("*.ttl"))


@pytest.fixture(scope="module")
def project(project_dir: Path) -> dict[str, Any]:
    """Ontology, shapes and the entity files (not data/claims/, which changes while it is written)."""
    return {
        "shapes": load.parse_files(load.shape_files(project_dir)),
        "entities": sorted((project_dir / "data").glob("*.ttl")),
        "ontology_files": load.ontology_files(project_dir),
        "data_dir": project_dir / "data",
    }


def expected_message(path: Path) -> str:
    first = path.read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith("# expect: "), f"{path.name} must start with '# expect: <message>'"
    return first.removeprefix("# expect: ").strip()


def run(path: Path, project: dict[str, Any]) -> Report:
    if path.name.startswith("truthy-"):
        store = sparql.check_store({"ontology": project["ontology_files"], "data": project["entities"]})
        store.load_turtle(path, store.graphs["truthy"])
        return truthy.truthy_report(store, project["shapes"], project["ontology_files"])
    return check_files(project, [*project["entities"], path])


def check_files(project: dict[str, Any], data: list[Path]) -> Report:
    groups = {"ontology": project["ontology_files"], "data": data}
    return dataset.check_files(groups, project["shapes"], project["data_dir"], parallel=False)


def test_there_are_enough_bad_fixtures() -> None:
    assert len(BAD) >= 18
    assert any(p.name.startswith("truthy-") for p in BAD)


@pytest.mark.parametrize("path", BAD, ids=[p.stem for p in BAD])
def test_bad_fixture_gives_its_message(path: Path, project: dict[str, Any]) -> None:
    expected = expected_message(path)
    report = run(path, project)
    messages = [r.message for r in report.violations]
    assert not report.conforms
    assert any(expected in m for m in messages), f"{expected!r} not in:\n" + "\n".join(messages)
    assert expected in report.text


@pytest.mark.parametrize("path", GOOD, ids=[p.stem for p in GOOD])
def test_good_fixture_conforms(path: Path, project: dict[str, Any]) -> None:
    report = run(path, project)
    assert report.conforms, report.text
    assert report.results == [], report.text


def test_entity_files_conform(project: dict[str, Any], project_dir: Path) -> None:
    report = check_files(project, project["entities"])
    assert report.conforms, report.text


def test_every_shape_message_is_readable(project: dict[str, Any]) -> None:
    """Each constraint the data can break carries its own sh:message (not pyshacl's generic text)."""
    from rdflib.namespace import SH

    shapes = project["shapes"]
    for prop_shape in shapes.objects(None, SH.property):
        owner = shapes.value(None, SH.property, prop_shape)
        if (owner, SH.targetClass, None) in shapes or (owner, SH.targetSubjectsOf, None) in shapes:
            assert shapes.value(prop_shape, SH.message), f"a property shape of {owner} has no sh:message"
