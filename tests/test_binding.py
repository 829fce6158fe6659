"""Values bound into a query's text (``store/binding.py``): single values for the remote store, lists
for both stores; and the description's labels, read with a bound list (``queries/labels.rq``)."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from nexus_ld.errors import BadRequest
from nexus_ld.store.binding import bind, where_clauses
from nexus_ld.store.embedded import Store

TTP = "https://w3id.org/nexus-ld/id/group/ttp"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
SKOS_PREF_LABEL = "http://www.w3.org/2004/02/skos/core#prefLabel"


def test_values_open_every_where_clause_and_survive_hostile_literals():
    text = """SELECT ?r (EXISTS { ?r ?p "WHERE {" } AS ?e) # SELECT { in a comment
      WHERE { { SELECT ?r (COUNT(*) AS ?n) WHERE { ?r ?p ?o } GROUP BY ?r } }"""
    points = where_clauses(text)
    assert len(points) == 2  # the query and its subquery, not the EXISTS, the string or the comment
    assert [text[p - 7 : p] for p in points] == ["WHERE {", "WHERE {"]
    assert len(where_clauses("CONSTRUCT { ?s ?p ?o } WHERE { { SELECT * { ?s ?p ?o } } }")) == 2
    hostile = ox.Literal('"} } DROP ALL ; INSERT DATA { <urn:a> <urn:b> "')
    bound = bind("SELECT ?x WHERE { ?s ?p '{' }", {"x": hostile})
    values = '("\\"} } DROP ALL ; INSERT DATA { <urn:a> <urn:b> \\"")'
    assert bound == "SELECT ?x WHERE { VALUES (?x) { " + values + " }  ?s ?p '{' }"
    store = ox.Store()  # it parses back as one query that binds one literal
    store.add(ox.Quad(ox.NamedNode("urn:s"), ox.NamedNode("urn:p"), ox.Literal("{")))
    assert [row["x"] for row in store.query(bound)] == [hostile]
    with pytest.raises(ValueError, match="CONSTRUCT WHERE"):
        bind("CONSTRUCT WHERE { ?s ?p ?o }", {"s": ox.NamedNode(TTP)})
    with pytest.raises(ValueError, match="blank node"):
        bind("SELECT * WHERE { ?s ?p ?o }", {"s": ox.BlankNode()})


def test_a_list_binds_its_variable_to_each_value_beside_the_single_ones():
    hostile = ox.Literal('"} } DROP ALL ; INSERT DATA { <urn:a> <urn:b> "')
    terms = (ox.NamedNode("urn:a"), hostile, ox.Literal("2", datatype=ox.NamedNode("urn:t")))
    bound = bind("SELECT ?x ?y WHERE { ?s ?p ?o }", {"x": terms, "y": ox.NamedNode("urn:y")})
    assert bound.startswith('SELECT ?x ?y WHERE { VALUES (?y) { (<urn:y>) }  VALUES ?x { <urn:a> "\\"} }')
    rows = ox.Store().query(bound.replace("?s ?p ?o", ""))  # one row per value, each with ?y
    assert [(row["x"], row["y"]) for row in rows] == [(t, ox.NamedNode("urn:y")) for t in terms]
    assert list(ox.Store().query(bind("SELECT ?x WHERE { }", {"x": ()}))) == []  # no value: no solution
    with pytest.raises(ValueError, match="blank node"):
        bind("SELECT * WHERE { ?s ?p ?o }", {"s": (ox.NamedNode("urn:a"), ox.BlankNode())})
    with pytest.raises(ValueError, match="only IRIs and literals"):
        bind("SELECT * WHERE { ?s ?p ?o }", {"s": ("urn:a",)})  # type: ignore[dict-item]


def test_the_embedded_store_binds_lists_in_the_text_and_single_values_by_substitution():
    store = Store.in_memory()
    graph = store.graphs["data"]
    a, b, c, p = (ox.NamedNode(f"urn:{n}") for n in "abcp")
    store.add(ox.Quad(s, p, ox.Literal(s.value), graph) for s in (a, b, c))
    text = "SELECT ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } }"
    rows = store.query(text, {"s": [a, "urn:c"], "p": p})  # a list's strings are terms as single values are
    assert sorted(row["o"].value for row in rows) == ["urn:a", "urn:c"]
    with pytest.raises(BadRequest, match="blank node"):
        store.query(text, {"s": [ox.BlankNode()]})


def test_a_description_carries_the_label_of_every_predicate_and_linked_iri(store):
    """labels.rq, given describe.rq's IRIs as a list: every label the store holds for a predicate
    or an IRI object of TTP's description is in it (rdfs:label and skos:prefLabel, any graph)."""
    desc = store.describe(TTP)
    triples = set(desc.triples)
    linked = {t.predicate for t in triples} | {
        t.object for t in triples if isinstance(t.object, ox.NamedNode)
    }
    query = "SELECT ?t ?lp ?l WHERE { GRAPH ?g { ?t ?lp ?l } VALUES ?lp { rdfs:label skos:prefLabel } }"
    held = {ox.Triple(row["t"], row["lp"], row["l"]) for row in store.query(query) if row["t"] in linked}
    assert len(held) > 50
    assert held <= triples
    assert {t.predicate.value for t in triples} >= {RDFS_LABEL, SKOS_PREF_LABEL}


def test_a_page_past_the_last_has_its_total_and_no_labels(store):
    """The page the web answers 404: the total is read in the labels' stead (three queries)."""
    first, past = store.describe(TTP, 1, 5), store.describe(TTP, 1000, 5)
    assert past.incoming == [] and past.incoming_total == first.incoming_total > 5
    assert past.pages < 1000
    assert set(past.triples) < set(first.triples)
    assert {t.predicate.value for t in set(first.triples) - set(past.triples)} <= {
        RDFS_LABEL,
        SKOS_PREF_LABEL,
    }
