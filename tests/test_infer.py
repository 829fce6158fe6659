"""The two inference engines (owlrl and the SPARQL rules on pyoxigraph) give the same entailments."""

from __future__ import annotations

import pyoxigraph as ox
import pytest
from rdflib import OWL, RDF, Graph, Namespace, URIRef

from nexus_ld.config import load_settings
from nexus_ld.namespaces import DEFAULT_BASE
from nexus_ld.pipeline.build import build
from nexus_ld.pipeline.infer import ENTAILMENTS, owl_rl_entailments, rule_entailments, store_entailments
from nexus_ld.store.embedded import Store

NX = Namespace("https://w3id.org/nexus-ld/ontology#")
PROV = Namespace("http://www.w3.org/ns/prov#")
GROUP = Namespace(DEFAULT_BASE + "id/group/")
EVENT = Namespace(DEFAULT_BASE + "id/event/")
ORG = Namespace(DEFAULT_BASE + "id/org/")


@pytest.fixture(scope="module")
def both(project, owlrl_entailed: Graph) -> tuple[Graph, Graph]:
    return owlrl_entailed, rule_entailments(project.ontology, project.data, DEFAULT_BASE)


def test_rules_give_exactly_the_owlrl_entailments_on_the_bundled_data(both):
    owlrl_graph, rules_graph = both
    only_owlrl = set(owlrl_graph) - set(rules_graph)
    only_rules = set(rules_graph) - set(owlrl_graph)
    assert not only_owlrl, sorted(only_owlrl)[:10]
    assert not only_rules, sorted(only_rules)[:10]
    assert len(rules_graph) > 1000


def test_the_entailments_include_each_kind_of_rule(both):
    _, rules_graph = both
    # cax-sco: an umbrella organisation is an armed group, an organisation and an agent.
    assert (GROUP.ttp, RDF.type, NX.ArmedGroup) in rules_graph
    assert (GROUP.ttp, RDF.type, PROV.Agent) in rules_graph
    # prp-spo1: nx:conductedBy is a subproperty of nx:participant.
    assert (EVENT["war-on-terror"], NX.participant, ORG["united-states"]) in rules_graph
    # scm-cls + scm-sco: every class is under owl:Thing, and subclassing is transitive.
    assert (NX.Branch, URIRef("http://www.w3.org/2000/01/rdf-schema#subClassOf"), OWL.Thing) in rules_graph
    assert (NX.Branch, URIRef("http://www.w3.org/2000/01/rdf-schema#subClassOf"), PROV.Agent) in rules_graph


def test_symmetric_and_inverse_properties():
    ontology = Graph().parse(
        data="""
        @prefix owl: <http://www.w3.org/2002/07/owl#> .
        @prefix nx: <https://w3id.org/nexus-ld/ontology#> .
        nx:conflictsWith a owl:SymmetricProperty .
        nx:supersedes owl:inverseOf nx:supersededBy .
        nx:partOf a owl:TransitiveProperty .
        """,
        format="turtle",
    )
    data = Graph().parse(
        data="""
        @prefix nx: <https://w3id.org/nexus-ld/ontology#> .
        @prefix c: <https://w3id.org/nexus-ld/id/claim/> .
        @prefix e: <https://w3id.org/nexus-ld/id/event/> .
        c:a nx:conflictsWith c:b . c:new nx:supersedes c:old .
        e:x nx:partOf e:y . e:y nx:partOf e:z .
        """,
        format="turtle",
    )
    claim, event = Namespace(DEFAULT_BASE + "id/claim/"), Namespace(DEFAULT_BASE + "id/event/")
    expected = {
        (claim.b, NX.conflictsWith, claim.a),
        (claim.old, NX.supersededBy, claim.new),
        (event.x, NX.partOf, event.z),
    }
    for engine in (owl_rl_entailments, rule_entailments):
        entailed = set(engine(ontology, data, DEFAULT_BASE))
        assert expected <= entailed, engine.__name__


def test_store_entailments_leave_the_store_as_it_was(project):
    store = Store.in_memory()
    graphs = [ox.NamedNode("urn:test:ontology"), ox.NamedNode("urn:test:data")]
    for graph, name in zip((project.ontology, project.data), graphs, strict=True):
        store.add_rdflib(graph, name)
    before = store.count()
    triples = store_entailments(store, graphs, DEFAULT_BASE)
    assert store.count() == before
    assert sorted({q.graph_name.value for q in store.quads()}) == ["urn:test:data", "urn:test:ontology"]
    assert ox.Triple(
        ox.NamedNode(str(GROUP.ttp)), ox.NamedNode(str(RDF.type)), ox.NamedNode(str(PROV.Agent))
    ) in set(triples)


def test_build_with_rules_setting_fills_the_inferred_graph_like_owlrl(built, tmp_path):
    # The session build computes its entailments by the rules; this is the one owlrl build (the default).
    values = dict(built.values) | {"build_dir": str(tmp_path / "build")}
    values.pop("inference")
    settings = load_settings(values, environ={})
    build(settings)
    owlrl_store, rules_store = Store.open(settings.build), Store.open(built.build)
    # Blank nodes get fresh labels in each build: compare the triples between IRIs and literals.
    query = "SELECT ?s ?p ?o WHERE { GRAPH graph:inferred { ?s ?p ?o } FILTER(isIRI(?s) && !isBlank(?o)) }"

    def rows(store: Store) -> set[tuple[str, str, str]]:
        return {(r["s"].value, r["p"].value, str(r["o"])) for r in store.query(query)}

    assert rows(owlrl_store) == rows(rules_store)
    assert (settings.inference, built.inference) == ("owlrl", "rules")
    assert owlrl_store.release["graphs"] == rules_store.release["graphs"]


def test_an_unknown_engine_is_refused(built, tmp_path):
    from nexus_ld.errors import BuildError

    settings = load_settings(
        dict(built.values) | {"build_dir": str(tmp_path / "b"), "inference": "magic"}, environ={}
    )
    with pytest.raises(BuildError, match="inference must be one of owlrl, rules"):
        build(settings)
    assert set(ENTAILMENTS) == {"owlrl", "rules"}
