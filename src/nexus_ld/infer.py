"""Entailments for the inferred graph: the OWL 2 RL closure (owlrl) of ontology + data.

Only new triples about nexus-ld resources are kept: the closure also restates the W3C
vocabularies and adds reflexive owl:sameAs for every term, which would bury the useful part.
"""

from __future__ import annotations

import owlrl
from rdflib import OWL, RDFS, Graph, URIRef

# Reflexive statements OWL-RL adds for every term: true, and of no use to anyone.
REFLEXIVE = {OWL.sameAs, OWL.equivalentClass, OWL.equivalentProperty, RDFS.subClassOf, RDFS.subPropertyOf}


def owl_rl_entailments(ontology: Graph, data: Graph, base: str) -> Graph:
    """New triples entailed by ontology + data under OWL 2 RL, whose subject is a nexus-ld IRI."""
    closure = Graph()
    closure += ontology
    closure += data
    owlrl.DeductiveClosure(owlrl.OWLRL_Semantics, axiomatic_triples=False, datatype_axioms=False).expand(closure)
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
