"""Entailments for the inferred graph: the OWL 2 RL closure (owlrl) of ontology + data.

Only new triples about nexus-ld resources are kept: the closure also restates the W3C
vocabularies and adds reflexive owl:sameAs for every term, which would bury the useful part.
"""

from __future__ import annotations

import owlrl
from owlrl.Namespaces import ERRNS
from rdflib import OWL, RDF, RDFS, Graph, URIRef

from .errors import BuildError

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
