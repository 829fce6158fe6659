"""Entailments for the inferred graph: the OWL 2 RL closure (owlrl) of ontology + data.

Only new triples about nexus-ld resources are kept: the closure also restates the W3C
vocabularies and adds reflexive owl:sameAs for every term, which would bury the useful part.
"""

from __future__ import annotations

from typing import Any, cast

import owlrl
import pyoxigraph as ox
from owlrl.Namespaces import ERRNS
from rdflib import OWL, RDF, RDFS, BNode, Graph, Literal, URIRef
from rdflib.term import Node

from nexus_ld.errors import BuildError
from nexus_ld.store.embedded import Store, query_text

# Reflexive statements OWL-RL adds for every term: true, and of no use to anyone.
REFLEXIVE = {OWL.sameAs, OWL.equivalentClass, OWL.equivalentProperty, RDFS.subClassOf, RDFS.subPropertyOf}


def inconsistencies(closure: Graph) -> list[str]:
    """The messages owlrl records (as ERRNS:ErrorMessage nodes) for inconsistencies it met."""
    return sorted(
        str(m)
        for node in closure.subjects(RDF.type, ERRNS.ErrorMessage)
        for m in closure.objects(node, ERRNS.error)
    )


def owl_rl_entailments(ontology: Graph, data: Graph, base: str) -> Graph:
    """New triples entailed by ontology + data under OWL 2 RL, whose subject is a nexus-ld IRI.

    Raises:
        BuildError: when the closure finds the ontology and data inconsistent.
    """
    closure = Graph()
    closure += ontology
    closure += data
    owlrl.DeductiveClosure(owlrl.OWLRL_Semantics, axiomatic_triples=False, datatype_axioms=False).expand(
        closure
    )
    errors = inconsistencies(closure)
    if errors:
        raise BuildError("OWL 2 RL finds the ontology and data inconsistent:\n" + "\n".join(errors))
    inferred = Graph()
    for s, p, o in closure:
        if not isinstance(s, URIRef) or not str(s).startswith(base):
            continue
        if s == o and p in REFLEXIVE:
            continue
        if (s, p, o) in data or (s, p, o) in ontology:
            continue
        inferred.add((s, p, o))
    return inferred


# --- The same entailments by SPARQL rules on pyoxigraph (setting ``inference = "rules"``) ----------
# owlrl holds the closure in an rdflib Graph and applies every OWL 2 RL rule in Python; at 100k
# triples that takes minutes (336 s; docs/performance.md). The rules the ontology needs are few: the schema
# rules (scm-*) and the instance rules (cax-sco, prp-dom, prp-rng, prp-spo1, prp-symp, prp-inv,
# prp-trp) in ``queries/infer-*.rq``, run to a fixpoint in the store itself. Left out on purpose:
# the equality rules (prp-fp/ifp -> owl:sameAs and eq-rep-*), whose premises the shapes forbid
# (functional properties have sh:maxCount 1), and the rules for restrictions the ontology does
# not use. tests/test_infer.py shows both give the same entailments on the bundled data.

RULE_PHASES = ("infer-schema", "infer-instances")
SCRATCH = ox.NamedNode("urn:x-nexus-ld:entailments")
MAX_ROUNDS = 50


def _subject_kept(subject: object, base: str) -> bool:
    return isinstance(subject, ox.NamedNode) and subject.value.startswith(base)


def store_entailments(store: Store, graphs: list[ox.NamedNode], base: str) -> list[ox.Triple]:
    """New triples entailed by the union of ``graphs`` in ``store``, with a subject under ``base``.

    The closure is built in a scratch graph of ``store`` (removed again before returning), so the
    rules run where the data already is, with no copy into rdflib.

    Raises:
        RuntimeError: when the rules do not reach a fixpoint within ``MAX_ROUNDS`` rounds.
    """
    scope = [*graphs, SCRATCH]
    store.remove_graph(SCRATCH)
    for phase in RULE_PHASES:
        text = query_text(phase)
        for _ in range(MAX_ROUNDS):
            new = {t for t in cast(ox.QueryTriples, store.query(text, default_graph=scope))}
            if not new:
                break
            store.add(ox.Quad(t.subject, t.predicate, t.object, SCRATCH) for t in new)
        else:
            raise RuntimeError(f"{phase} did not reach a fixpoint in {MAX_ROUNDS} rounds")
    kept = [
        q.triple
        for q in store.quads(SCRATCH)
        if _subject_kept(q.subject, base)
        and not (q.subject == q.object and q.predicate.value in _REFLEXIVE_IRIS)
    ]
    store.remove_graph(SCRATCH)
    return kept


_REFLEXIVE_IRIS = {str(p) for p in REFLEXIVE}


def rule_entailments(ontology: Graph, data: Graph, base: str) -> Graph:
    """Same contract as ``owl_rl_entailments``, computed by ``store_entailments`` on pyoxigraph.

    Blank node labels are kept both ways, so the result can be compared triple for triple with
    owlrl's.
    """
    store = Store.in_memory(base)
    names = [ox.NamedNode("urn:x-nexus-ld:ontology"), ox.NamedNode("urn:x-nexus-ld:data")]
    for graph, name in zip((ontology, data), names, strict=True):
        nt = graph.serialize(format="nt", encoding="utf-8")
        triples = ox.parse(nt, format=ox.RdfFormat.N_TRIPLES)
        store.add((ox.Quad(t.subject, t.predicate, t.object, name) for t in triples), bulk=True)
    inferred = Graph()
    for t in store_entailments(store, names, base):
        inferred.add((to_rdflib(t.subject), to_rdflib(t.predicate), to_rdflib(t.object)))
    return inferred


def to_rdflib(term: Any) -> Node:
    """A pyoxigraph term as the rdflib term of the same label (blank node labels kept)."""
    # Term by term rather than through N-Triples: rdflib's parser renames blank nodes.
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if term.language:
        return Literal(term.value, lang=term.language)
    if term.datatype.value == XSD_STRING:  # a simple literal, as rdflib writes it
        return Literal(term.value)
    return Literal(term.value, datatype=URIRef(term.datatype.value))


XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"


ENTAILMENTS = {"owlrl": owl_rl_entailments, "rules": rule_entailments}
