"""The check engine (checks/sparql.py) finds exactly what the rdflib oracle (tests/check_oracle.py) finds.

The tests taking the ``shacl_engine`` fixture run once per SHACL engine (pySHACL, the turbo pair); the
oracle's report of the bundled data is made once, with the turbo pair, and both engines must give it.

On the bundled data, on every fixture of tests/data/, on a generated 10k dataset (clean, then broken on
purpose), in one process and with the checks in a second one; the truthy-graph checks of a build too.
"""

from __future__ import annotations

import json
import shutil
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import check_oracle as check
import pytest
from click.testing import CliRunner
from rdflib import BNode, Graph

from bench import generate
from nexus_ld.cli import main
from nexus_ld.errors import InputError
from nexus_ld.pipeline import load
from nexus_ld.pipeline.checks import dataset
from nexus_ld.pipeline.checks import sparql as check_store
from nexus_ld.pipeline.checks.truthy import truthy_leaks, truthy_report
from nexus_ld.pipeline.shapes import use_engine
from nexus_ld.report import Report, Result
from nexus_ld.store.embedded import Store

FIXTURES = Path(__file__).resolve().parent / "data"
BAD = sorted((FIXTURES / "bad").glob("*.ttl"))
DATA_FIXTURES = [
    p for p in [*BAD, *sorted((FIXTURES / "good").glob("*.ttl"))] if not p.name.startswith("truthy-")
]
TRUTHY_FIXTURES = [p for p in BAD if p.name.startswith("truthy-")]


def key(result: Result) -> tuple[str | None, ...]:
    """What a reader sees of a result; blank nodes differ between parsers, so they are named by context."""

    def text(term: object) -> str | None:
        return None if term is None else "[]" if isinstance(term, BNode) else str(term)

    where = text(result.context) if result.context is not None else text(result.focus)
    return (result.severity, result.message, where, text(result.path), text(result.value), text(result.shape))


def entity_files(project: Path) -> list[Path]:
    return sorted((project / "data").glob("*.ttl"))


def findings(report: Report) -> Counter:
    return Counter(key(r) for r in report.results)


@pytest.fixture(scope="module")
def oracle_report(project_dir: Path) -> Iterator[Report]:
    """The oracle's report of the bundled data with the turbo pair's SHACL, computed once: each engine's
    report must equal it, so pySHACL (10 s on this data) runs once, in the check under test."""
    use_engine("turbo")
    yield check.check_project(load.load_project(project_dir))
    use_engine("auto")


@pytest.fixture(scope="module")
def graphs(project_dir: Path) -> dict[str, Graph]:
    return {
        "ontology": load.parse_files(load.ontology_files(project_dir)),
        "shapes": load.parse_files(load.shape_files(project_dir)),
        "entities": load.parse_files(entity_files(project_dir)),
    }


# --- the same findings as check.py -----------------------------------------------------------------


def test_bundled_data_gives_the_same_report_both_ways(
    project_dir: Path, shacl_engine: str, oracle_report: Report
) -> None:
    fast = dataset.check_root(project_dir, parallel=False)
    slow = oracle_report
    assert findings(fast) == findings(slow)
    assert fast.conforms == slow.conforms
    assert fast.text == slow.text


def test_the_second_process_gives_the_same_report(project_dir: Path) -> None:
    alone = dataset.check_root(project_dir, parallel=False)
    beside = dataset.check_root(project_dir, parallel=True)
    assert findings(beside) == findings(alone)
    assert beside.text == alone.text


@pytest.mark.parametrize("path", DATA_FIXTURES, ids=[p.stem for p in DATA_FIXTURES])
def test_each_fixture_gives_the_same_findings_both_ways(
    path: Path, graphs: dict[str, Graph], project_dir: Path, shacl_engine: str
) -> None:
    slow = check.check_graph(
        graphs["entities"] + load.parse_file(path), graphs["ontology"], graphs["shapes"], project_dir / "data"
    )
    groups = {"ontology": load.ontology_files(project_dir), "data": [*entity_files(project_dir), path]}
    fast = dataset.check_files(groups, graphs["shapes"], project_dir / "data", parallel=False)
    assert findings(fast) == findings(slow)
    if path.parent.name == "bad":
        expected = path.read_text(encoding="utf-8").splitlines()[0].removeprefix("# expect: ").strip()
        assert any(expected in r.message for r in fast.violations), fast.text
    else:
        assert fast.conforms and fast.results == [], fast.text


def test_other_base_flags_every_nexus_iri_both_ways(graphs: dict[str, Graph], project_dir: Path) -> None:
    other = "https://w3id.org/other/"
    good = FIXTURES / "good" / "claims.ttl"
    store = check_store.check_store(
        {"ontology": load.ontology_files(project_dir), "data": [*entity_files(project_dir), good]}
    )
    fast = check_store.iri_findings(store, base=other)
    slow = check.check_iris(graphs["entities"] + load.parse_file(good), base=other)
    assert fast and Counter(map(key, fast)) == Counter(map(key, slow))
    assert all(r.message.startswith(f"IRI outside the canonical base {other}") for r in fast)


# --- a generated dataset ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("generated") / "project"
    generate.generate(generate.parse_size("10k"), out, seed=11)
    return out


def test_a_generated_10k_dataset_checks_clean(generated: Path) -> None:
    report = dataset.check_root(generated, parallel=True)
    assert report.conforms, report.text[:2000]
    assert report.violations == []


def _break(project: Path) -> None:
    """Five kinds of error, each in a place of the generated data that the checks or shapes watch."""
    claims = project / "data" / "claims" / "0001.ttl"
    text = claims.read_text(encoding="utf-8")
    first_offsets = text[text.index("oa:start ") :].split("]", 1)[0]  # "oa:start N ; oa:end M "
    start = int(first_offsets.split()[1])
    end = int(first_offsets.split()[4])
    shifted = f"oa:start {start + 1} ; oa:end {end + 1} "
    text = text.replace(first_offsets, shifted, 1)
    text = text.replace("    nx:status status:", "    nx:statusTypo status:", 1)
    text = text.replace(" a nx:Alliance ;", " a nx:Aliance ;", 1)
    text += '\n<https://w3id.org/nexus-ld/id/groups/typo> rdfs:label "typo"@en .\n'
    claims.write_text(text, encoding="utf-8")
    # A second description of the source text with a wrong checksum (changing the text itself would
    # turn off the quote checks against it).
    with (project / "data" / "sources.ttl").open("a", encoding="utf-8") as fh:
        fh.write(
            "\n<https://w3id.org/nexus-ld/id/source/copy> <https://w3id.org/nexus-ld/ontology#textFile> "
            '"synthetic-0001.txt" ; <https://w3id.org/nexus-ld/ontology#sha256> "0000" .\n'
        )


def test_a_broken_generated_dataset_reports_each_error_as_the_rdflib_path_does(
    generated: Path, tmp_path: Path
) -> None:
    project = tmp_path / "broken"
    shutil.copytree(generated, project)
    _break(project)
    fast = dataset.check_root(project, parallel=True)
    messages = "\n".join(r.message for r in fast.violations)
    assert not fast.conforms
    for expected in (
        "Quote check: the quote is not at offsets",
        "A claim needs exactly one nx:status",
        "Unknown term https://w3id.org/nexus-ld/ontology#statusTypo",
        "Unknown class https://w3id.org/nexus-ld/ontology#Aliance",
        "IRI in an unknown folder of the base: https://w3id.org/nexus-ld/id/groups/typo",
        "Checksum mismatch: data/sources/",
    ):
        assert expected in messages, expected
    slow = check.check_project(load.load_project(project))
    assert findings(fast) == findings(slow)


# --- input errors and the CLI ----------------------------------------------------------------------


@pytest.mark.parametrize("parallel", [False, True])
def test_a_syntax_error_names_file_and_line(
    tmp_path: Path, parallel: bool, project_dir: Path, shacl_engine: str
) -> None:
    for part in ("ontology", "shapes", "data"):
        shutil.copytree(project_dir / part, tmp_path / part)
    (tmp_path / "data" / "broken.ttl").write_text("@prefix x: <http://x/> .\nx:a x:b .\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"broken\.ttl:2"):
        dataset.check_root(tmp_path, parallel=parallel)


# pySHACL's report of the bundled data is compared above; here the CLI's printing, with one engine.
@pytest.mark.parametrize("shacl_engine", ["turbo"], indirect=True)
def test_cli_check_prints_the_fast_report_as_json(
    project_dir: Path, shacl_engine: str, oracle_report: Report
) -> None:
    args = ["--setting", "project_dir", str(project_dir), "--setting", "shacl_engine", shacl_engine]
    result = CliRunner().invoke(main, [*args, "check", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    slow = oracle_report
    assert report["conforms"] is True
    assert report["violations"] == 0
    assert report["warnings"] == len([r for r in slow.results if r.severity == "Warning"])
    assert sorted(r["message"] for r in report["results"]) == sorted(r.message for r in slow.results)


# --- the truthy graph of a build -------------------------------------------------------------------


def _truthy_store(truthy: Path, project_dir: Path) -> Store:
    store = check_store.check_store(
        {"ontology": load.ontology_files(project_dir), "data": entity_files(project_dir)}
    )
    store.load_turtle(truthy, store.graphs["truthy"])
    return store


@pytest.mark.parametrize("path", TRUTHY_FIXTURES, ids=[p.stem for p in TRUTHY_FIXTURES])
def test_truthy_fixture_gives_the_same_findings_both_ways(
    path: Path, graphs: dict[str, Graph], project_dir: Path, shacl_engine: str
) -> None:
    slow = check.check_truthy(load.parse_file(path), graphs["entities"], graphs["ontology"], graphs["shapes"])
    fast = truthy_report(_truthy_store(path, project_dir), graphs["shapes"], load.ontology_files(project_dir))
    assert findings(fast) == findings(slow)
    expected = path.read_text(encoding="utf-8").splitlines()[0].removeprefix("# expect: ").strip()
    assert any(expected in r.message for r in fast.violations), fast.text


def test_truthy_leak_of_an_allegation_is_found_in_the_store(tmp_path: Path, project_dir: Path) -> None:
    claims = tmp_path / "claims.ttl"
    claims.write_text(
        "@prefix nx: <https://w3id.org/nexus-ld/ontology#> .\n"
        "@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .\n"
        "<https://w3id.org/nexus-ld/id/claim/raw-funds> a nx:Claim ;\n"
        "  nx:status <https://w3id.org/nexus-ld/id/status/allegation> ;\n"
        "  rdf:subject <https://w3id.org/nexus-ld/id/org/raw> ; rdf:predicate nx:funded ;\n"
        "  rdf:object <https://w3id.org/nexus-ld/id/group/ttp> .\n",
        encoding="utf-8",
    )
    truthy = tmp_path / "truthy.ttl"
    truthy.write_text(
        "<https://w3id.org/nexus-ld/id/org/raw> <https://w3id.org/nexus-ld/ontology#funded> "
        "<https://w3id.org/nexus-ld/id/group/ttp> .\n",
        encoding="utf-8",
    )
    store = check_store.check_store(
        {"ontology": load.ontology_files(project_dir), "data": [*entity_files(project_dir), claims]}
    )
    store.load_turtle(truthy, store.graphs["truthy"])
    (leak,) = truthy_leaks(store)
    assert leak.message == (
        "Allegation leaking into the truthy graph: https://w3id.org/nexus-ld/id/org/raw is claimed only as "
        "https://w3id.org/nexus-ld/id/status/allegation or superseded"
    )
