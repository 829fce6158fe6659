"""The check engine (checks/sparql.py) and the Report it returns, on real files (the shipped source text,
reference lists, ontology), each check over an in-memory store of the graphs a test makes."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, SH
from rdflib.namespace import XSD as XSD_NS

from nexus_ld import formats
from nexus_ld.config import Settings
from nexus_ld.contributions.service import Validator
from nexus_ld.pipeline import load, sources
from nexus_ld.pipeline.checks import dataset
from nexus_ld.pipeline.checks import sparql as check
from nexus_ld.pipeline.checks.truthy import truthy_report
from nexus_ld.pipeline.shapes import NXSH, owner, truthy_shapes, validate
from nexus_ld.report import Report, Result
from nexus_ld.store.embedded import Store

FIXTURES = Path(__file__).resolve().parent / "data"
GOOD = FIXTURES / "good" / "claims.ttl"
NX = "https://w3id.org/nexus-ld/ontology#"
ID = "https://w3id.org/nexus-ld/id/"

PREFIXES = """
@prefix nx: <https://w3id.org/nexus-ld/ontology#> .
@prefix claim: <https://w3id.org/nexus-ld/id/claim/> .
@prefix group: <https://w3id.org/nexus-ld/id/group/> .
@prefix org: <https://w3id.org/nexus-ld/id/org/> .
@prefix status: <https://w3id.org/nexus-ld/id/status/> .
@prefix time: <http://www.w3.org/2006/time#> .
@prefix oa: <http://www.w3.org/ns/oa#> .
@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
"""


@pytest.fixture(scope="module")
def ontology(project_dir: Path) -> Graph:
    return load.parse_files(load.ontology_files(project_dir))


@pytest.fixture(scope="module")
def shapes(project_dir: Path) -> Graph:
    return load.parse_files(load.shape_files(project_dir))


@pytest.fixture(scope="module")
def entities(project_dir: Path) -> Graph:
    return load.parse_files(sorted((project_dir / "data").glob("*.ttl")))


@pytest.fixture(scope="module")
def good(entities: Graph) -> Graph:
    return entities + load.parse_file(GOOD)


def turtle(text: str) -> Graph:
    return Graph().parse(data=PREFIXES + text, format="turtle")


def store_of(data: Graph, ontology: Graph | None = None, truthy: Graph | None = None) -> Store:
    """An in-memory store with ``data`` (and the ``ontology``, a ``truthy`` graph) in their graphs."""
    store = Store.in_memory()
    for name, graph in (("data", data), ("ontology", ontology), ("truthy", truthy)):
        if graph is not None:
            store.add_rdflib(graph, store.graphs[name])
    return store


def check_quotes(data: Graph, sources_dir: Path) -> list[Result]:
    """The source checks, then every quote against its verified text."""
    store = store_of(data)
    texts, results = check.source_texts(store, sources_dir)
    return results + check.quote_findings(store, texts)


def messages(results: list[Result]) -> list[str]:
    return [r.message for r in results]


# --- sources and quotes -----------------------------------------------------------------------------


def test_quotes_of_good_fixture_fit_the_source(good: Graph, project_dir: Path) -> None:
    assert check_quotes(good, project_dir / "data" / "sources") == []


def test_changed_source_text_fails_its_checksum(good: Graph, tmp_path: Path, project_dir: Path) -> None:
    text = (project_dir / "data" / "sources" / "ttp-aq-isis-nexus.txt").read_text(encoding="utf-8")
    (tmp_path / "ttp-aq-isis-nexus.txt").write_text(
        text.replace("Pakistani state", "Pakistani State"), encoding="utf-8"
    )
    results = check_quotes(good, tmp_path)
    assert len(results) == 1
    assert results[0].message.startswith("Checksum mismatch: data/sources/ttp-aq-isis-nexus.txt")
    assert results[0].focus == URIRef(ID + "source/ttp-aq-isis-nexus")


def test_missing_source_text_is_reported(good: Graph, tmp_path: Path) -> None:
    results = check_quotes(good, tmp_path)
    assert messages(results) == ["Source text file not found: data/sources/ttp-aq-isis-nexus.txt"]


def test_shifted_offsets_are_reported_with_the_right_place(good: Graph, project_dir: Path) -> None:
    data = Graph() + good
    position = next(data.subjects(URIRef("http://www.w3.org/ns/oa#start"), Literal(1030)))
    data.set((position, URIRef("http://www.w3.org/ns/oa#start"), Literal(1029)))
    data.set((position, URIRef("http://www.w3.org/ns/oa#end"), Literal(1096)))
    results = check_quotes(data, project_dir / "data" / "sources")
    assert messages(results) == [
        "Quote check: the quote is not at offsets 1029-1096 (it occurs at 1030-1097)"
    ]
    assert results[0].focus == URIRef(ID + "claim/fixture-ttp-objective")


# --- dates -----------------------------------------------------------------------------------------


def test_date_whose_day_is_in_the_quote_passes(good: Graph) -> None:
    # claim:fixture-benjamin-ideological-guidance: 2010-09-01, quoted as "1st September 2010"
    assert check.date_findings(store_of(good)) == []


def test_other_day_missing_from_quote_is_a_warning(good: Graph) -> None:
    data = Graph() + good
    data.remove((None, URIRef("http://www.w3.org/2006/time#inXSDDate"), None))
    instant = next(
        data.objects(URIRef(ID + "claim/fixture-benjamin-ideological-guidance"), URIRef(NX + "statedAt"))
    )
    data.add(
        (
            instant,
            URIRef("http://www.w3.org/2006/time#inXSDDate"),
            Literal("2010-09-02", datatype=XSD_NS.date),
        )
    )
    (result,) = check.date_findings(store_of(data))
    assert result.severity == "Warning"
    assert "does not contain day 2" in result.message
    assert result.context == URIRef(ID + "claim/fixture-benjamin-ideological-guidance")


def test_date_reached_by_no_claim_is_left_alone() -> None:
    data = turtle('[] a time:Instant ; time:inXSDDate "2007-01-01"^^xsd:date .')
    assert check.date_findings(store_of(data)) == []


# --- reference lists, vocabulary, IRIs ------------------------------------------------------------------


def test_reference_lists_are_read_from_the_tsv_files(project_dir: Path) -> None:
    qids = sources.reference_column(project_dir / "data" / "reference" / "wikidata.tsv", "wikidata_qid")
    assert {"Q34490", "Q2429253", "Q843"} <= qids
    assert "wikidata_qid" not in qids
    assert sources.reference_column(
        project_dir / "data" / "reference" / "un-sanctions.tsv", "un_reference"
    ) == {"QDi.006"}


def test_entity_files_use_only_confirmed_identifiers(entities: Graph, project_dir: Path) -> None:
    assert check.reference_findings(store_of(entities), project_dir / "data" / "reference") == []


def test_standard_and_ontology_classes_are_known(good: Graph, ontology: Graph) -> None:
    assert check.class_findings(store_of(good, ontology)) == []
    (result,) = check.class_findings(store_of(turtle("group:x a nx:Claimm ."), ontology))
    assert result.message == f"Unknown class {NX}Claimm: not declared in ontology/ (typo?)"


def test_other_base_flags_every_nexus_iri(good: Graph) -> None:
    assert check.iri_findings(store_of(good)) == []
    results = check.iri_findings(store_of(good), base="https://w3id.org/other/")
    assert results
    assert all(
        r.message.startswith("IRI outside the canonical base https://w3id.org/other/") for r in results
    )


# --- the truthy graph ------------------------------------------------------------------------------


def test_truthy_triple_from_an_allegation_leaks(
    entities: Graph, ontology: Graph, shapes: Graph, project_dir: Path
) -> None:
    claims = turtle(
        """
        claim:raw-funds a nx:Claim ; nx:status status:allegation ;
            rdf:subject org:raw ; rdf:predicate nx:funded ; rdf:object group:ttp .
        claim:ttp-aim a nx:Claim ; nx:status status:reported-fact ;
            rdf:subject group:ttp ; rdf:predicate nx:aim ; rdf:object "resistance"@en .
        """
    )
    truthy = turtle('org:raw nx:funded group:ttp . group:ttp nx:aim "resistance"@en .')
    store = store_of(entities + claims, ontology, truthy)
    report = truthy_report(store, shapes, load.ontology_files(project_dir))
    assert not report.conforms
    (leak,) = report.violations
    assert leak.message.startswith("Allegation leaking into the truthy graph")
    assert leak.focus == URIRef(ID + "org/raw")


def test_truthy_shapes_are_inactive_on_the_data(shapes: Graph) -> None:
    active = truthy_shapes(shapes)
    assert (None, SH.deactivated, None) not in active
    assert len(set(active.subjects(RDF.type, SH.NodeShape))) == 4
    assert all((s, SH.deactivated, Literal(True)) in shapes for s in active.subjects(RDF.type, SH.NodeShape))


# --- the report ------------------------------------------------------------------------------------


def test_merge_adds_results_to_graph_text_and_conformance(
    good: Graph, ontology: Graph, shapes: Graph
) -> None:
    report = validate(good, shapes, ontology)
    assert report.conforms and report.results == []
    warning = Result(URIRef(ID + "claim/x"), "soft", severity="Warning")
    violation = Result(URIRef(ID + "claim/y"), "hard", path=URIRef(NX + "status"))
    softly = report.merge([warning])
    assert softly.conforms
    merged = softly.merge([violation])
    assert not merged.conforms
    assert merged.results == [violation, warning]
    assert len(list(merged.graph.objects(None, SH.result))) == 2
    assert (None, SH.conforms, Literal(False)) in merged.graph
    assert "Violation: <https://w3id.org/nexus-ld/id/claim/y>" in merged.text
    assert report.results == []  # frozen: merge returns a new report


def test_from_results_makes_a_report_of_findings_alone() -> None:
    report = Report.from_results([Result(URIRef(ID + "claim/x"), "hard")])
    assert not report.conforms
    assert report.text.startswith("Does not conform: 1 violation")


def test_validate_leaves_the_data_graph_alone(good: Graph, ontology: Graph, shapes: Graph) -> None:
    before = len(good)
    validate(good, shapes, ontology)
    assert len(good) == before


def test_blank_focus_is_named_by_its_claim(good: Graph) -> None:
    evidence = next(good.objects(URIRef(ID + "claim/fixture-ttp-objective"), URIRef(NX + "evidence")))
    assert owner(good, evidence) == URIRef(ID + "claim/fixture-ttp-objective")


# --- the whole project -----------------------------------------------------------------------------


def test_check_project_on_a_copy_of_the_project(tmp_path: Path, project_dir: Path) -> None:
    for folder in ("ontology", "shapes"):
        shutil.copytree(project_dir / folder, tmp_path / folder)
    (tmp_path / "data" / "claims").mkdir(parents=True)
    for path in (project_dir / "data").glob("*.ttl"):
        shutil.copy(path, tmp_path / "data")
    shutil.copytree(project_dir / "data" / "sources", tmp_path / "data" / "sources")
    shutil.copytree(project_dir / "data" / "reference", tmp_path / "data" / "reference")
    shutil.copy(GOOD, tmp_path / "data" / "claims" / "good.ttl")
    report = dataset.check_root(tmp_path)
    assert report.conforms, report.text
    assert report.results == []

    (tmp_path / "data" / "reference" / "wikidata.tsv").write_text(
        "label_in_article\twikidata_qid\n", encoding="utf-8"
    )
    report = dataset.check_root(tmp_path)
    assert not report.conforms
    assert any(
        "Wikidata ID Q34490 is not in data/reference/wikidata.tsv" in m for m in messages(report.results)
    )


# --- one engine for the dataset and for contributions ----------------------------------------------

CHECK_FIXTURES = [
    "quote-not-in-source",
    "wrong-offsets",
    "padded-date",
    "unknown-class",
    "unknown-term",
    "derived-property",
    "derived-truthy-shortcut",
    "iri-unknown-folder",
    "iri-outside-base",
    "wikidata-not-in-reference",
    "un-reference-not-in-list",
    "attribution-inconsistent",
]


@pytest.mark.parametrize("name", CHECK_FIXTURES)
def test_a_contribution_gets_the_dataset_checks_findings(
    name: str, validator: Validator, project_dir: Path
) -> None:
    """A fixture validated as a contribution (restating, as `nexus-ld validate data/…` does) and checked
    with the dataset give the same check findings: the same engine runs both."""
    path = FIXTURES / "bad" / f"{name}.ttl"
    outcome = validator.check(
        validator.parse(path.read_bytes(), formats.by_suffix(".ttl"), path.name), restating=True
    )
    groups = {
        "ontology": load.ontology_files(project_dir),
        "data": [*sorted((project_dir / "data").glob("*.ttl")), path],
    }
    dataset_report = dataset.check_files(groups, validator.shapes, project_dir / "data", parallel=False)

    def checks(report: Report) -> set[tuple[str, str]]:
        return {
            (r.message, str(r.value)) for r in report.results if str(r.source_shape).startswith(str(NXSH))
        }

    expected = path.read_text(encoding="utf-8").splitlines()[0].removeprefix("# expect: ").strip()
    assert any(expected in message for message, _ in checks(outcome.report)), outcome.report.text
    assert checks(outcome.report) == checks(dataset_report)


@pytest.fixture(scope="module")
def validator(bundled: Settings) -> Validator:
    return Validator.from_settings(bundled)
