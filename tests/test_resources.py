"""Dereferencing and content negotiation: /id/ -> 303 -> /doc/, every format, every header."""

from __future__ import annotations

import json
import re

import pyoxigraph as ox
import pytest
import requests
from pyld import jsonld
from rdflib import Graph
from rdflib.compare import isomorphic

from nexus_ld.store import describe as describe_module
from nexus_ld.store.describe import describe
from tests.conftest import make_app

BASE = "https://w3id.org/nexus-ld/"
TTP = BASE + "id/group/ttp"
CLAIM = BASE + "id/claim/ttp-founded-2007"
NX = BASE + "ontology#"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"
PARSE = {
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/ld+json": ox.RdfFormat.JSON_LD,
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
}


def triples(response) -> set[ox.Triple]:
    fmt = PARSE[response.mimetype]
    return set(ox.parse(response.data, format=fmt, base_iri="http://127.0.0.1/"))


def has(graph: set[ox.Triple], s: str, p: str, o: str | None = None) -> bool:
    return any(
        t.subject.value == s and t.predicate.value == p and (o is None or t.object.value == o) for t in graph
    )


def test_id_answers_303_to_the_document_with_vary(client):
    r = client.get("/id/group/ttp", headers={"Accept": "text/turtle"})
    assert r.status_code == 303
    assert r.headers["Location"].endswith("/doc/group/ttp")
    assert r.headers["Vary"] in ("Accept", "Accept, Accept-Encoding")
    assert f'<{TTP}>; rel="canonical"' in r.headers["Link"]
    assert "max-age" in r.headers["Cache-Control"]


def test_id_with_a_suffix_redirects_to_that_format(client):
    r = client.get("/id/group/ttp.jsonld")
    assert r.status_code == 303 and r.headers["Location"].endswith("/doc/group/ttp.jsonld")


@pytest.mark.parametrize(
    ("accept", "media_type"),
    [
        ("*/*", "text/turtle"),
        (None, "text/turtle"),
        (BROWSER, "text/html"),
        ("text/turtle", "text/turtle"),
        ("application/ld+json", "application/ld+json"),
        ("application/n-triples", "application/n-triples"),
        ("application/rdf+xml", "application/rdf+xml"),
        ("text/turtle;q=0.5, application/ld+json;q=0.9", "application/ld+json"),
        ("application/ld+json;q=0.2, text/html;q=0.1, */*;q=0.05", "application/ld+json"),
        ("text/*", "text/turtle"),
    ],
)
def test_document_negotiates_on_accept(client, accept, media_type):
    headers = {"Accept": accept} if accept else {}
    r = client.get("/doc/claim/ttp-founded-2007", headers=headers)
    assert r.status_code == 200
    assert r.mimetype == media_type
    assert r.headers["Vary"] in ("Accept", "Accept, Accept-Encoding")
    if media_type == "text/html":
        assert "TTP was founded in 2007" in r.get_data(as_text=True)
    else:
        assert has(triples(r), CLAIM, NX + "status", BASE + "id/status/reported-fact")


@pytest.mark.parametrize(
    ("path", "media_type"),
    [
        ("/doc/group/ttp.ttl", "text/turtle"),
        ("/doc/group/ttp.jsonld", "application/ld+json"),
        ("/doc/group/ttp.nt", "application/n-triples"),
        ("/doc/group/ttp.rdf", "application/rdf+xml"),
        ("/doc/group/ttp.html", "text/html"),
        ("/doc/group/ttp?format=jsonld", "application/ld+json"),
        ("/doc/group/ttp?format=ttl", "text/turtle"),
        ("/doc/group/ttp?format=text/html", "text/html"),
    ],
)
def test_document_by_suffix_and_format_parameter(client, path, media_type):
    # The suffix and ?format= win over Accept.
    r = client.get(path, headers={"Accept": "application/rdf+xml;q=0.1"})
    assert r.status_code == 200 and r.mimetype == media_type
    if media_type != "text/html":
        assert has(triples(r), TTP, RDFS_LABEL, "Tehrik-e-Taliban Pakistan")


def test_unacceptable_accept_gets_406_listing_offers(client):
    r = client.get("/doc/group/ttp", headers={"Accept": "image/png"})
    assert r.status_code == 406
    body = r.get_data(as_text=True)
    for offered in (
        "text/html",
        "text/turtle",
        "application/ld+json",
        "application/n-triples",
        "application/rdf+xml",
    ):
        assert offered in body
    assert r.headers["Vary"] in ("Accept", "Accept, Accept-Encoding")


def test_unknown_format_parameter_and_suffix(client):
    r = client.get("/doc/group/ttp?format=docx", headers={"Accept": "text/plain"})
    assert r.status_code == 400 and "unknown format 'docx'" in r.get_data(as_text=True)
    r = client.get("/doc/group/ttp.png", headers={"Accept": "text/plain"})
    assert r.status_code == 404 and "suffix .png" in r.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/doc/group/no-such-group", "/id/group/no-such-group"])
def test_unknown_resource_is_404_in_the_asked_format(client, path):
    r = client.get(path, headers={"Accept": "text/turtle"})
    assert r.status_code == 404 and r.mimetype == "text/turtle"
    assert r.get_data(as_text=True).startswith(
        "# 404 Not Found: no resource <" + BASE + "id/group/no-such-group>"
    )
    assert list(ox.parse(r.data, format=ox.RdfFormat.TURTLE)) == []  # an empty graph: parses
    r = client.get(path, headers={"Accept": "application/ld+json"})
    assert r.status_code == 404 and r.mimetype == "application/ld+json"
    assert r.get_json()["error"]["status"] == 404
    r = client.get(path, headers={"Accept": "application/rdf+xml"})
    assert r.status_code == 404 and list(ox.parse(r.data, format=ox.RdfFormat.RDF_XML)) == []
    r = client.get(path, headers={"Accept": BROWSER})
    assert r.status_code == 404 and r.mimetype == "text/html" and "no-such-group" in r.get_data(as_text=True)


def test_etag_per_release_and_format_and_304(client, store):
    release = store.release["release"]
    turtle = client.get("/doc/group/ttp", headers={"Accept": "text/turtle"})
    html = client.get("/doc/group/ttp", headers={"Accept": "text/html"})
    assert turtle.headers["ETag"].startswith(f'W/"{release}-')
    assert (
        html.headers["ETag"].startswith(f'W/"{release}-') and html.headers["ETag"] != turtle.headers["ETag"]
    )
    again = client.get(
        "/doc/group/ttp", headers={"Accept": "text/turtle", "If-None-Match": turtle.headers["ETag"]}
    )
    assert again.status_code == 304 and again.data == b""
    assert again.headers["ETag"] == turtle.headers["ETag"] and again.headers["Vary"].startswith("Accept")
    other = client.get(
        "/doc/group/ttp", headers={"Accept": "text/html", "If-None-Match": turtle.headers["ETag"]}
    )
    assert other.status_code == 200  # another format's tag does not match
    assert "public" in turtle.headers["Cache-Control"]


def test_link_headers_name_alternates_canonical_and_described_thing(client):
    r = client.get("/doc/group/ttp", headers={"Accept": "text/turtle"})
    link = r.headers["Link"]
    for suffix, media_type in [
        ("ttl", "text/turtle"),
        ("jsonld", "application/ld+json"),
        ("nt", "application/n-triples"),
        ("rdf", "application/rdf+xml"),
        ("html", "text/html"),
    ]:
        assert f'</doc/group/ttp.{suffix}>; rel="alternate"; type="{media_type}"' in link
    assert f'<{BASE}doc/group/ttp>; rel="canonical"' in link
    assert f'<{TTP}>; rel="describes"' in link
    assert r.headers["Content-Location"] == "/doc/group/ttp.ttl"


def test_head_has_the_headers_and_no_body(client):
    get = client.get("/doc/group/ttp.ttl")
    head = client.head("/doc/group/ttp.ttl")
    assert head.status_code == 200 and head.data == b""
    assert (
        head.headers["ETag"] == get.headers["ETag"]
        and head.headers["Content-Type"] == get.headers["Content-Type"]
    )
    assert client.head("/id/group/ttp").status_code == 303


def test_same_content_in_every_rdf_format(client):
    graphs = []
    for suffix, fmt in [("ttl", "turtle"), ("jsonld", "json-ld"), ("nt", "nt"), ("rdf", "xml")]:
        g = Graph()
        g.parse(data=client.get(f"/doc/claim/ttp-founded-2007.{suffix}").data, format=fmt)
        graphs.append(g)
    assert len(graphs[0]) > 20
    for g in graphs[1:]:
        assert isomorphic(graphs[0], g)


def test_an_rdf_answer_does_not_index_the_description_for_a_page(client, monkeypatch):
    """The index by subject (``Description.index``) is the HTML page's: an RDF answer, which only
    serialises the triples, does not build it (per request, 3 % of a description's time)."""
    built: list[int] = []
    original = describe_module.Index.__init__

    def counted(self, triples) -> None:
        built.append(len(triples))
        original(self, triples)

    monkeypatch.setattr(describe_module.Index, "__init__", counted)
    for accept in PARSE:
        assert client.get("/doc/group/ttp", headers={"Accept": accept}).status_code == 200
    assert built == []
    assert client.get("/doc/group/ttp", headers={"Accept": "text/html"}).status_code == 200
    assert len(built) == 1 and built[0] > 20


def test_description_holds_claims_evidence_labels_and_incoming_count(client, store):
    g = triples(client.get("/doc/group/ttp.nt"))
    # a claim about TTP, its status, attribution and verbatim evidence
    assert has(g, CLAIM, NX + "about", TTP)
    assert has(g, CLAIM, NX + "status", BASE + "id/status/reported-fact")
    assert has(g, CLAIM, "http://www.w3.org/ns/prov#wasAttributedTo", BASE + "id/agent/article-author")
    assert any(
        t.predicate.value == "http://www.w3.org/ns/oa#exact"
        and t.object.value.startswith("It was founded in 2007")
        for t in g
    )
    # the node the claim asserts, and labels of what it links to
    assert has(g, BASE + "id/event/ttp-founding", RDFS_LABEL)
    assert has(g, BASE + "id/person/baitullah-mehsud", RDFS_LABEL, "Baitullah Mehsud")
    assert has(
        g, BASE + "id/status/reported-fact", "http://www.w3.org/2004/02/skos/core#prefLabel", "reported fact"
    )
    # incoming links: the count equals an independent count from the store
    expected = store.query(
        "SELECT (COUNT(DISTINCT *) AS ?n) WHERE { SELECT DISTINCT ?s ?p WHERE { GRAPH ?g { ?s ?p group:ttp } "
        "FILTER(?g != graph:inferred && isIRI(?s)) "
        "FILTER(?p NOT IN (nx:about, rdf:subject, rdf:object, nx:asserts)) } }"
    )
    n = int(next(iter(expected))["n"].value)
    assert n > 0
    assert has(g, BASE + "doc/group/ttp", "http://www.w3.org/ns/hydra/core#totalItems", str(n))
    assert has(g, BASE + "doc/group/ttp", "http://xmlns.com/foaf/0.1/primaryTopic", TTP)


def test_incoming_links_are_paged(built, store):
    client = make_app(built, page_size=5).test_client()
    total = describe(store, TTP, 1, 5).incoming_total
    assert total > 5
    first = client.get("/doc/group/ttp.nt")
    assert has(
        triples(first),
        BASE + "doc/group/ttp",
        "http://www.w3.org/ns/hydra/core#next",
        BASE + "doc/group/ttp?incoming=2",
    )
    second = client.get("/doc/group/ttp.nt?incoming=2")
    page2 = triples(second)
    assert has(
        page2,
        BASE + "doc/group/ttp?incoming=2",
        "http://www.w3.org/ns/hydra/core#previous",
        BASE + "doc/group/ttp",
    )
    first = client.get("/doc/group/ttp.nt")
    assert second.headers["ETag"] != first.headers["ETag"]  # each page its own tag
    html = client.get("/doc/group/ttp?incoming=2", headers={"Accept": "text/html"}).get_data(as_text=True)
    assert f"Incoming links ({total})" in html and "page 2 of" in html
    last = -(-total // 5)
    assert client.get(f"/doc/group/ttp.nt?incoming={last + 1}").status_code == 404
    bad = client.get("/doc/group/ttp?incoming=zero", headers={"Accept": "text/plain"})
    assert bad.status_code == 400 and "page number" in bad.get_data(as_text=True)


def test_ontology_namespace_dereferences(client):
    html = client.get("/ontology", headers={"Accept": BROWSER})
    assert html.mimetype == "text/html" and html.headers["Vary"] in ("Accept", "Accept, Accept-Encoding")
    page = html.get_data(as_text=True)
    assert 'id="Claim"' in page and 'id="about"' in page and "nx:Claim" in page
    turtle = client.get("/ontology", headers={"Accept": "*/*"})
    assert turtle.mimetype == "text/turtle"
    g = triples(turtle)
    assert has(
        g,
        NX + "Claim",
        "http://www.w3.org/1999/02/22-rdf-syntax-ns#type",
        "http://www.w3.org/2002/07/owl#Class",
    )
    assert has(
        g,
        BASE + "ontology",
        "http://www.w3.org/1999/02/22-rdf-syntax-ns#type",
        "http://www.w3.org/2002/07/owl#Ontology",
    )
    assert triples(client.get("/ontology.jsonld")) == triples(client.get("/ontology.nt"))
    assert client.get("/ontology", headers={"If-None-Match": turtle.headers["ETag"]}).status_code == 304


def test_live_server_dereferences_over_real_http(live_server):
    r = requests.get(live_server.url + "/id/group/ttp", headers={"Accept": "text/turtle"}, timeout=10)
    assert [h.status_code for h in r.history] == [303]
    assert r.history[0].headers["Vary"] in ("Accept", "Accept, Accept-Encoding")
    assert r.url == live_server.url + "/doc/group/ttp" and r.status_code == 200
    assert r.headers["Content-Type"].startswith("text/turtle")
    g = set(ox.parse(r.content, format=ox.RdfFormat.TURTLE))
    assert has(g, TTP, RDFS_LABEL, "Tehrik-e-Taliban Pakistan")  # RDF keeps canonical IRIs
    head = requests.head(live_server.url + "/doc/group/ttp.jsonld", timeout=10)
    assert (
        head.status_code == 200
        and head.headers["Content-Type"] == "application/ld+json"
        and head.content == b""
    )
    again = requests.get(
        live_server.url + "/doc/group/ttp.jsonld", headers={"If-None-Match": head.headers["ETag"]}, timeout=10
    )
    assert again.status_code == 304


def test_every_link_on_a_page_works_on_the_local_host(live_server):
    # Links are local paths, so they work on 127.0.0.1 as they do in production.
    page = requests.get(live_server.url + "/doc/group/ttp", headers={"Accept": BROWSER}, timeout=10).text
    assert f'href="{TTP}"' not in page and 'href="https://w3id.org/nexus-ld/id/' not in page
    hrefs = sorted(set(re.findall(r'href="(/(?:doc|ontology)[^"#]*)', page)))
    assert len(hrefs) > 20
    session = requests.Session()
    for href in hrefs[:60]:
        r = session.get(live_server.url + href, headers={"Accept": BROWSER}, timeout=10)
        assert r.status_code == 200, href


def test_embedded_json_ld_is_the_resource(client):
    page = client.get("/doc/group/ttp", headers={"Accept": BROWSER}).get_data(as_text=True)
    script = re.search(r'<script type="application/ld\+json">(.*?)</script>', page, re.S).group(1)
    data = json.loads(script)
    ttp = next(node for node in data if node["@id"] == TTP)
    assert {"@value": "Tehrik-e-Taliban Pakistan", "@language": "en"} in ttp[RDFS_LABEL]


# --- clients (issue 14) ---------------------------------------------------------------------------
@pytest.mark.parametrize("path", ["/id/group/ttp", "/doc/group/ttp", "/ontology", "/void"])
def test_pyld_default_loader_expands_entity_urls(live_server, path):
    """pyld follows /id/ -> 303 -> /doc/ with its own Accept and expands the JSON-LD it gets."""
    expanded = jsonld.expand(live_server.url + path)
    assert expanded and all("@id" in node or "@value" in node or "@graph" in node for node in expanded)
    if path.endswith("/ttp"):
        ttp = next(node for node in expanded if node.get("@id") == TTP)
        assert {v["@value"] for v in ttp[RDFS_LABEL]} >= {"Tehrik-e-Taliban Pakistan"}


def test_every_alternate_stays_discoverable(live_server):
    """A JSON-LD answer names the HTML page as its one alternate; the page and every other answer
    name every format."""
    jsonld_answer = requests.get(
        live_server.url + "/doc/group/ttp", headers={"Accept": "application/ld+json"}, timeout=10
    )
    alternates = [link for link in jsonld_answer.links.values() if link.get("rel") == "alternate"]
    assert [link["type"] for link in alternates] == ["text/html"]
    page = requests.get(live_server.url + alternates[0]["url"], headers={"Accept": "text/html"}, timeout=10)
    for fmt in ("text/turtle", "application/ld+json", "application/n-triples", "application/rdf+xml"):
        assert f'<link rel="alternate" type="{fmt}"' in page.text, fmt
    turtle = requests.get(live_server.url + "/doc/group/ttp", headers={"Accept": "text/turtle"}, timeout=10)
    # requests keys parsed links by rel: read the raw header to see all of them.
    listed = [part for part in turtle.headers["Link"].split(", ") if 'rel="alternate"' in part]
    assert len(listed) == 5 and any('type="application/ld+json"' in part for part in listed)
