"""The remote store reads answers shaped as Virtuoso writes them (issue 14), from a tiny real HTTP
server on 127.0.0.1 with canned bodies: blank nodes named ``nodeID://…``, booleans as ``"1"``, non-standard
JSON for a graph query asked in JSON, and an error text sent as a 200 JSON answer."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import pyoxigraph as ox
import pytest
import requests

from nexus_ld.errors import BadGateway, StoreRefused
from nexus_ld.store.answers import read_answer
from nexus_ld.store.describe import Description
from nexus_ld.store.remote import RemoteStore
from nexus_ld.web.models.claims import claims_of
from tests.conftest import LiveServer, free_port, make_app

XSD_BOOLEAN = ox.NamedNode("http://www.w3.org/2001/XMLSchema#boolean")
BASE = "https://w3id.org/nexus-ld/"
CLAIM = BASE + "id/claim/c1"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
BOOLEAN_ONE = {"type": "typed-literal", "datatype": XSD_BOOLEAN.value, "value": "1"}
SELECT_JSON = json.dumps(
    {
        "head": {"link": [], "vars": ["c", "e", "h"]},
        "results": {
            "distinct": False,
            "ordered": True,
            "bindings": [
                {
                    "c": {"type": "uri", "value": CLAIM},
                    "e": {"type": "bnode", "value": "nodeID://b11273"},
                    "h": BOOLEAN_ONE,
                }
            ],
        },
    }
)
SELECT_XML = """<?xml version="1.0"?>
<sparql xmlns="http://www.w3.org/2005/sparql-results#"><head><variable name="e"/><variable name="h"/></head>
<results><result><binding name="e"><bnode>nodeID://b11273</bnode></binding>
<binding name="h"><literal datatype="http://www.w3.org/2001/XMLSchema#boolean">0</literal></binding></result></results>
</sparql>"""
GRAPH_NT = f"""<{CLAIM}> <{BASE}ontology#evidence> _:vb11273 .
_:vb11273 <http://www.w3.org/ns/oa#exact> "a quote" .
<{CLAIM}> <{BASE}ontology#hedged> "1"^^<http://www.w3.org/2001/XMLSchema#boolean> .
"""
# What Virtuoso writes for a CONSTRUCT asked as SPARQL JSON: solutions of ?s ?p ?o, with a "lang" key.
GRAPH_AS_JSON = """{ "head": { "vars": ["s", "p", "o"] }, "results": { "bindings": [
  { "s": { "type": "uri", "value": "urn:s" }, "p": { "type": "uri", "value": "urn:p" },
    "o": { "type": "literal", "lang": "en", "value": "x" } } ] } }"""
ERROR_TEXT = "Virtuoso 37000 Error SP030: SPARQL compiler, line 0: Undefined namespace prefix"


class VirtuosoLike:
    """A real HTTP server on 127.0.0.1 answering SPARQL Protocol POSTs as Virtuoso 7.2 does; it keeps the
    Accept header of every request."""

    def __init__(self) -> None:
        self.accepts: list[str] = []
        canned = self

        class Answer(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                form = parse_qs(self.rfile.read(int(self.headers["Content-Length"])).decode())
                query, accept = form["query"][0], self.headers.get("Accept", "")
                canned.accepts.append(accept)
                if self.path.endswith("/refusing"):  # a store that refuses every query, in its words
                    self._send("text/plain", ERROR_TEXT, status=400)
                elif "unreadable" in query:
                    self._send("application/sparql-results+json", ERROR_TEXT)
                elif "CONSTRUCT" in query:
                    if accept.startswith("application/n-triples"):
                        self._send("application/n-triples", GRAPH_NT)
                    else:
                        self._send("application/sparql-results+json", GRAPH_AS_JSON)
                elif "ASK" in query:
                    self._send("application/sparql-results+json", '{ "head": {}, "boolean": true }')
                elif accept.startswith("application/sparql-results+xml"):
                    self._send("application/sparql-results+xml", SELECT_XML)
                else:
                    self._send("application/sparql-results+json", SELECT_JSON)

            def _send(self, media_type: str, body: str, status: int = 200) -> None:
                data = body.encode()
                self.send_response(status)
                self.send_header("Content-Type", media_type)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:  # keep the test output quiet
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Answer)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/sparql"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture(scope="module")
def virtuoso() -> Iterator[VirtuosoLike]:
    server = VirtuosoLike()
    yield server
    server.server.shutdown()
    server.server.server_close()


def test_blank_node_labels_of_any_shape_and_booleans_by_value(virtuoso: VirtuosoLike):
    rows = list(RemoteStore(virtuoso.url).query("SELECT ?c ?e ?h WHERE { ?c ?p ?e }"))
    assert virtuoso.accepts[-1].startswith("application/sparql-results+json")
    assert len(rows) == 1 and rows[0]["c"] == ox.NamedNode(CLAIM)
    assert isinstance(rows[0]["e"], ox.BlankNode)
    assert rows[0]["h"] == ox.Literal("true", datatype=XSD_BOOLEAN)


def test_xml_results_are_read_the_same_way():
    answer = read_answer(SELECT_XML.encode(), "application/sparql-results+xml")
    row = next(iter(answer))
    assert isinstance(row["e"], ox.BlankNode) and row["h"] == ox.Literal("false", datatype=XSD_BOOLEAN)


def test_graph_queries_ask_for_n_triples(virtuoso: VirtuosoLike):
    triples = list(RemoteStore(virtuoso.url).query("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }"))
    assert virtuoso.accepts[-1].split(",")[0] == "application/n-triples"
    assert len(triples) == 3 and all(isinstance(t, ox.Triple) for t in triples)
    evidence = next(t.object for t in triples if t.predicate.value.endswith("#evidence"))
    assert isinstance(evidence, ox.BlankNode)
    assert ox.Literal("true", datatype=XSD_BOOLEAN) in {t.object for t in triples}


@pytest.mark.live
def test_an_unreadable_answer_is_a_502_quoting_the_store(virtuoso: VirtuosoLike, built):
    with pytest.raises(BadGateway, match="SP030"):
        RemoteStore(virtuoso.url).query("SELECT * WHERE { ?unreadable ?p ?o }")
    with LiveServer(make_app(built, store_url=virtuoso.url)) as server:
        response = requests.get(
            server.url + "/sparql",
            params={"query": "SELECT * WHERE { ?unreadable ?p ?o }"},
            headers={"Accept": "application/sparql-results+json"},
        )
    assert response.status_code == 502, response.text
    assert "SP030" in response.text and "Traceback" not in response.text


def test_a_refused_query_is_the_clients_400_but_a_refused_own_query_is_a_502(virtuoso: VirtuosoLike):
    """The store's 4xx to a client's query is the client's error; to nexus-ld's own query (a page's), it is
    the store's: 502 quoting it, never a 400 that blames the client (issue 14)."""
    store = RemoteStore(virtuoso.url.replace("/sparql", "/refusing"))
    with pytest.raises(StoreRefused, match="SP030") as refused:
        store.query("SELECT * WHERE { ?s ?p ?o }")
    assert refused.value.status == 400
    with pytest.raises(BadGateway, match="nexus-ld's query 'exists'.*SP030"):
        store.exists(CLAIM)


def test_a_hedged_claim_is_hedged_whatever_the_boolean_lexical_form():
    nx = BASE + "ontology#"
    triples = [
        ox.Triple(ox.NamedNode(CLAIM), ox.NamedNode(RDF_TYPE), ox.NamedNode(nx + "Claim")),
        ox.Triple(ox.NamedNode(CLAIM), ox.NamedNode(nx + "hedged"), ox.Literal("1", datatype=XSD_BOOLEAN)),
    ]
    claims = claims_of(Description(CLAIM, triples, [], 0, 1, 50), BASE)
    assert [c.hedged for c in claims] == [True]
