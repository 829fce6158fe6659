"""Standard clients against a live server (issue 14): pyld's default document loader on entity URLs,
and rdflib's SPARQLStore with every ``returnFormat`` for every query form."""

from __future__ import annotations

import pytest
import rdflib
import requests
from pyld import jsonld
from rdflib.plugins.stores.sparqlstore import SPARQLStore

from nexus_ld.formats import RDF_FORMATS, RESULT_FORMATS
from tests.conftest import LiveServer, make_app

pytestmark = pytest.mark.live  # a real server on a port, real clients

BASE = "https://w3id.org/nexus-ld/"
TTP = BASE + "id/group/ttp"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
LABEL = "Tehrik-e-Taliban Pakistan"


@pytest.fixture(scope="module")
def server(built):
    with LiveServer(make_app(built, rate_limit_per_minute=0)) as live:
        yield live


@pytest.mark.parametrize("path", ["/id/group/ttp", "/doc/group/ttp", "/ontology", "/void"])
def test_pyld_default_loader_expands_entity_urls(server, path):
    """pyld follows /id/ -> 303 -> /doc/ with its own Accept and expands the JSON-LD it gets."""
    expanded = jsonld.expand(server.url + path)
    assert expanded and all("@id" in node or "@value" in node or "@graph" in node for node in expanded)
    if path.endswith("/ttp"):
        ttp = next(node for node in expanded if node.get("@id") == TTP)
        assert {v["@value"] for v in ttp[RDFS_LABEL]} >= {LABEL}


def test_every_alternate_stays_discoverable(server):
    """A JSON-LD answer names the HTML page as its one alternate; the page and every other answer
    name every format."""
    jsonld_answer = requests.get(
        server.url + "/doc/group/ttp", headers={"Accept": "application/ld+json"}, timeout=10
    )
    alternates = [link for link in jsonld_answer.links.values() if link.get("rel") == "alternate"]
    assert [link["type"] for link in alternates] == ["text/html"]
    page = requests.get(server.url + alternates[0]["url"], headers={"Accept": "text/html"}, timeout=10)
    for fmt in ("text/turtle", "application/ld+json", "application/n-triples", "application/rdf+xml"):
        assert f'<link rel="alternate" type="{fmt}"' in page.text, fmt
    turtle = requests.get(server.url + "/doc/group/ttp", headers={"Accept": "text/turtle"}, timeout=10)
    # requests keys parsed links by rel: read the raw header to see all of them.
    listed = [part for part in turtle.headers["Link"].split(", ") if 'rel="alternate"' in part]
    assert len(listed) == 5 and any('type="application/ld+json"' in part for part in listed)


SELECT = f"SELECT ?label WHERE {{ <{TTP}> <{RDFS_LABEL}> ?label }}"
ASK = f"ASK {{ <{TTP}> <{RDFS_LABEL}> ?label }}"
CONSTRUCT = f"CONSTRUCT {{ <{TTP}> <{RDFS_LABEL}> ?label }} WHERE {{ <{TTP}> <{RDFS_LABEL}> ?label }}"
DESCRIBE = f"DESCRIBE <{TTP}>"


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize("return_format", ["json", "xml", "csv", "tsv"])
def test_rdflib_sparqlstore_every_return_format_and_query_form(server, return_format, method):
    graph = rdflib.Graph(store=SPARQLStore(server.url + "/sparql", returnFormat=return_format, method=method))
    assert {str(row[0]) for row in graph.query(SELECT)} >= {LABEL}
    # CSV and TSV hold no boolean: an ASK asked only for them answers in JSON, which rdflib reads.
    assert graph.query(ASK).askAnswer is True
    built = graph.query(CONSTRUCT).graph
    assert {str(o) for o in built.objects(rdflib.URIRef(TTP), rdflib.RDFS.label)} >= {LABEL}
    described = graph.query(DESCRIBE).graph
    assert (rdflib.URIRef(TTP), rdflib.RDFS.label, rdflib.Literal(LABEL, lang="en")) in described or {
        str(o) for o in described.objects(rdflib.URIRef(TTP), rdflib.RDFS.label)
    } >= {LABEL}


@pytest.mark.parametrize(
    ("query", "accept", "media_type"),
    [
        # A graph query asked only for result formats gets the default RDF format, as on Fuseki.
        (CONSTRUCT, "application/sparql-results+json", RDF_FORMATS["turtle"].media_type),
        (DESCRIBE, "text/csv, text/tab-separated-values", RDF_FORMATS["turtle"].media_type),
        # A select or ask asked only for RDF formats gets the default results format.
        (SELECT, "text/turtle", RESULT_FORMATS["json"].media_type),
        (ASK, "application/ld+json", RESULT_FORMATS["json"].media_type),
        (ASK, "text/csv", RESULT_FORMATS["json"].media_type),
        # application/xml names both kinds: each form answers its own.
        (SELECT, "application/xml", "application/sparql-results+xml"),
        (CONSTRUCT, "application/xml", "application/rdf+xml"),
    ],
)
def test_an_accept_of_the_other_kind_gets_the_forms_default(server, query, accept, media_type):
    response = requests.get(
        server.url + "/sparql", params={"query": query}, headers={"Accept": accept}, timeout=10
    )
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].split(";")[0] == media_type
    if media_type == "text/turtle":
        parsed = rdflib.Graph().parse(data=response.text, format="turtle")
        assert {str(o) for o in parsed.objects(rdflib.URIRef(TTP), rdflib.RDFS.label)} >= {LABEL}


def test_an_accept_of_neither_kind_is_still_a_406(server):
    response = requests.get(
        server.url + "/sparql", params={"query": CONSTRUCT}, headers={"Accept": "image/png"}, timeout=10
    )
    assert response.status_code == 406 and "text/turtle" in response.text
