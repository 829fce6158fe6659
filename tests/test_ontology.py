from pathlib import Path

from rdflib import OWL, RDF, RDFS, SKOS, Graph, URIRef

from nexus_ld.pipeline.infer import inconsistencies

NX = "https://w3id.org/nexus-ld/ontology#"


def test_ontology_metadata(project_dir: Path):
    g = Graph().parse(project_dir / "ontology" / "nexus.ttl")
    onto = URIRef("https://w3id.org/nexus-ld/ontology")
    assert (onto, RDF.type, OWL.Ontology) in g
    for p in (OWL.versionIRI, OWL.versionInfo, URIRef("http://purl.org/dc/terms/license")):
        assert g.value(onto, p) is not None, p


def test_every_own_term_has_label_definition_and_domain_range(project_dir: Path):
    g = Graph().parse(project_dir / "ontology" / "nexus.ttl")
    for term in set(g.subjects()):
        if not str(term).startswith(NX) or (term, RDF.type, SKOS.ConceptScheme) in g:
            continue
        assert g.value(term, RDFS.label), f"{term} has no rdfs:label"
        assert g.value(term, SKOS.definition) or g.value(term, RDFS.comment), f"{term} has no definition"
        if (term, RDF.type, OWL.ObjectProperty) in g and (term, RDF.type, OWL.AnnotationProperty) not in g:
            assert g.value(term, RDFS.range) or g.value(term, RDFS.domain), (
                f"{term} has neither domain nor range"
            )


def test_ontology_and_data_are_owl_rl_consistent(project, owlrl_entailed: Graph):
    closure = project.ontology + project.data
    entailed = owlrl_entailed
    assert inconsistencies(closure + entailed) == []
    # Subclass reasoning reaches the data: TTP is an organisation by the ORG ontology.
    assert (
        URIRef("https://w3id.org/nexus-ld/id/group/ttp"),
        RDF.type,
        URIRef("http://www.w3.org/ns/org#Organization"),
    ) in entailed
