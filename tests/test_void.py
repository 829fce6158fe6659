"""The VoID + DCAT description: counts equal the store's, dumps carry their checksums, served negotiated."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest

from nexus_ld.pipeline.publish.dumps import read_sums

VOID = "http://rdfs.org/ns/void#"
DCAT = "http://www.w3.org/ns/dcat#"
SPDX = "http://spdx.org/rdf/terms#"
BASE = "https://w3id.org/nexus-ld/"
DATASET = ox.NamedNode(BASE + "void#dataset")


@pytest.fixture(scope="module")
def void(app) -> ox.Store:
    r = app.test_client().get("/void.ttl")
    assert r.status_code == 200 and r.mimetype == "text/turtle"
    graph = ox.Store()
    graph.extend(
        ox.Quad(t.subject, t.predicate, t.object) for t in ox.parse(r.data, format=ox.RdfFormat.TURTLE)
    )
    return graph


def one(graph: ox.Store, query: str):
    rows = list(
        graph.query(
            "PREFIX void: <http://rdfs.org/ns/void#> PREFIX dcat: <http://www.w3.org/ns/dcat#> "
            "PREFIX spdx: <http://spdx.org/rdf/terms#> "
            "PREFIX dcterms: <http://purl.org/dc/terms/> " + query
        )
    )
    return rows


def value(graph: ox.Store, subject: ox.NamedNode, predicate: str) -> str:
    objects = [q.object.value for q in graph.quads_for_pattern(subject, ox.NamedNode(predicate), None)]
    assert len(objects) == 1, (subject, predicate, objects)
    return objects[0]


def test_dataset_counts_equal_the_store(void, store):
    quads = sum(1 for _ in store.ox.quads_for_pattern(None, None, None, None))
    assert int(value(void, DATASET, VOID + "triples")) == quads == store.release["triples"]
    entities = store.query(
        "SELECT (COUNT(DISTINCT ?e) AS ?n) WHERE { GRAPH ?g { ?e a ?t } "
        "FILTER(isIRI(?e) && ?g IN (graph:data, graph:sources)) }"
    )
    assert int(value(void, DATASET, VOID + "entities")) == int(next(iter(entities))["n"].value)
    for name, iri in store.graphs.items():
        n = sum(1 for _ in store.ox.quads_for_pattern(None, None, None, iri))
        assert int(value(void, iri, VOID + "triples")) == n, name


def test_partitions_equal_the_store(void, store):
    classes = {
        r["c"].value: int(r["n"].value)
        for r in one(
            void, "SELECT ?c ?n WHERE { ?d void:classPartition [ void:class ?c ; void:entities ?n ] }"
        )
    }
    claims = store.query("SELECT (COUNT(DISTINCT ?c) AS ?n) WHERE { GRAPH ?g { ?c a nx:Claim } }")
    assert classes[BASE + "ontology#Claim"] == int(next(iter(claims))["n"].value) > 0
    properties = {
        r["p"].value: int(r["n"].value)
        for r in one(
            void, "SELECT ?p ?n WHERE { ?d void:propertyPartition [ void:property ?p ; void:triples ?n ] }"
        )
    }
    assert sum(properties.values()) == store.release["triples"]
    status = sum(
        1 for _ in store.ox.quads_for_pattern(None, ox.NamedNode(BASE + "ontology#status"), None, None)
    )
    assert properties[BASE + "ontology#status"] == status


def test_dumps_listed_with_their_checksums(void, store, built):
    sums = read_sums(Path(built.build) / "dumps")
    rows = one(
        void,
        "SELECT ?url ?sum ?size WHERE { ?url a dcat:Distribution ; dcat:byteSize ?size ; "
        "spdx:checksum [ spdx:algorithm spdx:checksumAlgorithm_sha256 ; "
        "spdx:checksumValue ?sum ] }",
    )
    found = {r["url"].value.rsplit("/", 1)[-1]: (r["sum"].value, int(r["size"].value)) for r in rows}
    assert set(found) == {d["file"] for d in store.release["dumps"]}
    for dump in store.release["dumps"]:
        assert found[dump["file"]] == (sums[dump["file"]], dump["bytes"])


def test_endpoint_licence_source_and_version(void, store):
    assert value(void, DATASET, VOID + "sparqlEndpoint") == BASE + "sparql"
    assert (
        value(void, DATASET, "http://purl.org/dc/terms/license")
        == "https://creativecommons.org/licenses/by/4.0/"
    )
    assert value(void, DATASET, DCAT + "version") == store.release["release"]
    assert value(void, DATASET, "http://purl.org/dc/terms/source") == BASE + "id/source/ttp-aq-isis-nexus"
    assert value(void, DATASET, VOID + "uriSpace") == BASE + "id/"


@pytest.mark.parametrize(
    ("path", "accept", "media_type"),
    [
        ("/.well-known/void", "*/*", "text/turtle"),
        ("/.well-known/void", "application/ld+json", "application/ld+json"),
        ("/void", "application/n-triples", "application/n-triples"),
        ("/void.rdf", None, "application/rdf+xml"),
        ("/void.jsonld", None, "application/ld+json"),
        ("/.well-known/void", "text/html", "text/html"),
    ],
)
def test_void_is_negotiated(client, void, path, accept, media_type):
    r = client.get(path, headers={"Accept": accept} if accept else {})
    assert (
        r.status_code == 200
        and r.mimetype == media_type
        and r.headers["Vary"] in ("Accept", "Accept, Accept-Encoding")
    )
    if media_type == "text/html":
        assert "void:sparqlEndpoint" in r.get_data(as_text=True)
        return
    fmt = {
        "text/turtle": ox.RdfFormat.TURTLE,
        "application/ld+json": ox.RdfFormat.JSON_LD,
        "application/n-triples": ox.RdfFormat.N_TRIPLES,
        "application/rdf+xml": ox.RdfFormat.RDF_XML,
    }[media_type]
    parsed = list(ox.parse(r.data, format=fmt))
    assert len(parsed) == len(void)  # the same description in every format
    again = client.get(path, headers={"Accept": accept or "*/*", "If-None-Match": r.headers["ETag"]})
    assert again.status_code == 304
