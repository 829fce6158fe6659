"""Validation in context equals validation of the whole merged dataset, on the bundled data and on a
larger synthetic dataset; `nexus-ld validate` passes every file of data/."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from contributions_support import GOOD
from rdflib import Graph, URIRef
from rdflib.namespace import SH

from nexus_ld.cli import main
from nexus_ld.config import Settings
from nexus_ld.contributions.context import PUBLISHED_GRAPHS, Context, Fetcher, fetch, restrict
from nexus_ld.contributions.parse import Limits, choose_format, parse
from nexus_ld.contributions.service import Validator
from nexus_ld.pipeline.shapes import validate
from nexus_ld.report import Report, Result
from nexus_ld.store.embedded import Store, query_text

NX = "https://w3id.org/nexus-ld/ontology#"
PREFIXES = "\n".join(
    f"@prefix {p}: <{ns}> ."
    for p, ns in {
        "nx": NX,
        "claim": "https://w3id.org/nexus-ld/id/claim/",
        "event": "https://w3id.org/nexus-ld/id/event/",
        "prov": "http://www.w3.org/ns/prov#",
        "time": "http://www.w3.org/2006/time#",
        "w3org": "http://www.w3.org/ns/org#",
        "schema": "http://schema.org/",
        "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
        "xsd": "http://www.w3.org/2001/XMLSchema#",
    }.items()
)


def validate_in_context(
    store: Store, contribution: Graph, shapes: Graph, ontology: Graph
) -> tuple[Report, Context]:
    """SHACL-validate ``contribution`` with its context; keep the results whose focus is in scope."""
    context = fetch(store, contribution)
    report = validate(context.graph + contribution, shapes, ontology)
    return restrict(report, context.scope), context


def whole_graph(store: Store) -> Graph:
    """Every published data and source triple as one rdflib graph."""
    fetcher = Fetcher(store)
    graph = Graph()
    for name in PUBLISHED_GRAPHS:
        for quad in store.quads(store.graphs[name]):
            graph.add(tuple(fetcher.from_store(t) for t in (quad.subject, quad.predicate, quad.object)))
    return graph


def result_keys(results: list[Result]) -> set[tuple]:
    """Comparable identities of results (focus, path, value, message, severity, shape)."""
    return {(r.focus, r.path, r.value, r.message, r.severity, r.source_shape) for r in results}


def graph_of(text: str) -> Graph:
    return parse(text.encode("utf-8"), choose_format(filename="c.ttl"), "test", Limits()).graph


def first(store, sparql: str) -> str:
    """One IRI the published data has, found by a query (the contributions below are built around it)."""
    rows = list(store.query(sparql))
    assert rows, sparql
    return rows[0][0].value


def contributions_for(store) -> dict[str, str]:
    """Contributions that touch published nodes in every way a shape can notice."""
    group = first(
        store,
        "SELECT ?g WHERE { GRAPH graph:data { ?g a nx:ArmedGroup ; rdfs:label ?l } } ORDER BY ?g LIMIT 1",
    )
    event = first(store, "SELECT ?e WHERE { GRAPH graph:data { ?e time:hasTime ?t } } ORDER BY ?e LIMIT 1")
    member = first(store, "SELECT ?m WHERE { GRAPH graph:data { ?m w3org:member ?p } } ORDER BY ?m LIMIT 1")
    claim = first(store, "SELECT ?c WHERE { GRAPH graph:data { ?c a nx:Claim } } ORDER BY ?c LIMIT 1")
    place = first(
        store,
        "SELECT ?p WHERE { GRAPH graph:data { ?p a ?c } ?c rdfs:subClassOf* schema:Place }"
        " ORDER BY ?p LIMIT 1",
    )
    return {
        "good new claim": (GOOD / "new-claim.ttl").read_text(encoding="utf-8"),
        "second English label on a published group": f'<{group}> rdfs:label "Another name"@en .',
        "a dated time added to a published event": (
            f'<{event}> time:hasTime [ a time:Instant ; time:inXSDDate "1999-03-17"^^xsd:date ] .'
        ),
        "a second member of a published post": f"<{member}> w3org:member <{place}> .",
        "an event whose perpetrator is a published claim": (
            f'event:contributed-x a nx:Attack ; rdfs:label "x"@en ; nx:perpetrator <{claim}> ;'
            f" schema:location <{group}> ."
        ),
        "a claim asserting a published event, typed wrongly": (
            f"claim:contributed-y a nx:Claim ; nx:asserts <{event}> ; nx:about <{group}> ;"
            f' nx:status <{place}> ; nx:summary "y" ; prov:wasDerivedFrom <{group}> .'
        ),
        "a published place typed as a statistic": f"<{place}> a nx:Statistic .",
    }


def compare(settings, *, good_conforms: bool = True) -> list[str]:
    """For each contribution: context results == whole-dataset results on the nodes in scope, and no
    result of the whole merged dataset that is new (caused by the contribution) is missed."""
    validator = Validator.from_settings(settings)
    store, shapes, ontology = validator.store, validator.shapes, validator.ontology
    published = whole_graph(store)
    before = result_keys(validate(published, shapes, ontology).results)
    checked = []
    for name, text in contributions_for(store).items():
        contribution = graph_of(text if text.startswith("@prefix") else PREFIXES + "\n" + text)
        in_context, context = validate_in_context(store, contribution, shapes, ontology)
        whole = validate(published + contribution, shapes, ontology)
        in_scope = [r for r in whole.results if r.focus in context.scope]
        assert result_keys(in_context.results) == result_keys(in_scope), name
        assert result_keys(whole.results) - before <= result_keys(in_context.results), name
        if name == "good new claim":
            assert in_context.conforms == good_conforms, in_context.text
        else:
            assert not in_context.conforms, name
        # The context is a small part of the published data, never all of it.
        assert len(context.graph) < len(published) / 4, name
        checked.append(name)
    return checked


def test_context_equals_whole_dataset_on_bundled_data(bundled: Settings) -> None:
    assert len(compare(bundled)) == 7


def test_context_equals_whole_dataset_on_larger_synthetic_data(
    bundled: Settings, synthetic: Settings
) -> None:
    settings = synthetic
    larger = json.loads((settings.build / "release.json").read_text())["graphs"]["data"]
    assert larger > json.loads((bundled.build / "release.json").read_text())["graphs"]["data"]
    # The good claim cites group:ttp and the bundled source, which the synthetic data does not have.
    assert len(compare(settings, good_conforms=False)) == 7


def test_context_reports_the_violations_a_contribution_causes_on_published_nodes(bundled: Settings) -> None:
    validator = Validator.from_settings(bundled)
    store = validator.store
    group = first(
        store,
        "SELECT ?g WHERE { GRAPH graph:data { ?g a nx:ArmedGroup ; rdfs:label ?l } } ORDER BY ?g LIMIT 1",
    )
    report, context = validate_in_context(
        store,
        graph_of(PREFIXES + f'\n<{group}> rdfs:label "Another name"@en .'),
        validator.shapes,
        validator.ontology,
    )
    assert not report.conforms
    assert [(str(r.focus), str(r.path)) for r in report.violations] == [
        (group, "http://www.w3.org/2000/01/rdf-schema#label")
    ]
    assert "at most one per language" in report.violations[0].message
    assert URIRef(group) in context.roots


def test_incoming_query_lists_exactly_the_shapes_target_objects_of(bundled: Settings) -> None:
    """context-incoming.rq must fetch every predicate the shapes target objects of (and no other)."""
    validator = Validator.from_settings(bundled)
    targeted = {str(p) for p in validator.shapes.objects(None, SH.targetObjectsOf)}
    text = query_text("context-incoming")
    values = text.split("VALUES ?p {")[1].split("}")[0].split()
    expand = {
        "prov:": "http://www.w3.org/ns/prov#",
        "nx:": NX,
        "time:": "http://www.w3.org/2006/time#",
        "w3org:": "http://www.w3.org/ns/org#",
    }
    listed = {next(ns + v[len(p) :] for p, ns in expand.items() if v.startswith(p)) for v in values}
    assert listed == targeted


def test_context_cost_does_not_grow_with_the_store(bundled: Settings, synthetic: Settings) -> None:
    """The same contribution needs the same number of queries and a similar context on both stores."""
    text = (GOOD / "new-claim.ttl").read_text(encoding="utf-8")
    small = fetch(Validator.from_settings(bundled).store, graph_of(text))
    large = fetch(Validator.from_settings(synthetic).store, graph_of(text))
    assert small.queries > 0 and large.queries <= small.queries + 5


@pytest.mark.parametrize("kind", ["entities", "claims"])
def test_validate_passes_every_file_of_data(kind: str, bundled: Settings) -> None:
    """Published data obeys the rules contributions obey: every data/ file conforms (warnings at most)."""
    settings = bundled
    data = settings.project / "data"
    files = sorted(data.glob("claims/*.ttl")) if kind == "claims" else sorted(data.glob("*.ttl"))
    assert files
    args = ["--setting", "project_dir", str(settings.project), "--setting", "build_dir", str(settings.build)]
    result = CliRunner().invoke(main, [*args, "validate", "--json", *map(str, files)])
    reports = json.loads(result.stdout)
    reports = reports if isinstance(reports, list) else [reports]
    assert [(Path(r["file"]).name, r["violations"]) for r in reports] == [(f.name, 0) for f in files]
    assert result.exit_code == 0, result.output
