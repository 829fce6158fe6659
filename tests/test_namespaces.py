from pathlib import Path

import pytest
from rdflib import Graph

from nexus_ld.namespaces import NX


def test_nx_terms_equal_the_ontology_terms(project_dir: Path):
    graph = Graph().parse(project_dir / "ontology" / "nexus.ttl")
    prefix = str(NX._NS)
    in_ontology = {str(s)[len(prefix) :] for s in graph.subjects() if str(s).startswith(prefix)}
    assert in_ontology == set(NX.__annotations__)


def test_unknown_term_fails_loudly():
    with pytest.raises(AttributeError, match="not in namespace"):
        NX.Clam  # noqa: B018
