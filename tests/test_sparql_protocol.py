"""The SPARQL 1.1 Protocol at /sparql, over real HTTP, with real clients: every transport, every
result format parsed back, content negotiation, protocol errors, the dataset, the service
description and the query UI."""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET

import pytest
import rdflib
import requests
from markupsafe import escape
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from SPARQLWrapper import CSV, JSON, POSTDIRECTLY, TSV, TURTLE, XML, SPARQLWrapper
from SPARQLWrapper import POST as SW_POST

from nexus_ld.config import PROJECT_ROOT
from nexus_ld.formats import RDF_FORMATS, RESULT_FORMATS
from tests.conftest import LiveServer, make_app

pytestmark = pytest.mark.live  # real servers on ports, real SPARQL clients

BASE = "https://w3id.org/nexus-ld/"
ONTOLOGY = BASE + "ontology"
GRAPH_DATA = BASE + "graph/data"
GRAPH_ONTOLOGY = BASE + "graph/ontology"
TTP = BASE + "id/group/ttp"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
SD = rdflib.Namespace("http://www.w3.org/ns/sparql-service-description#")
SRX = "{http://www.w3.org/2005/sparql-results#}"

LABEL_QUERY = "SELECT ?label WHERE { group:ttp rdfs:label ?label }"
TYPE_QUERY = "SELECT ?type WHERE { <https://w3id.org/nexus-ld/ontology> a ?type }"
CONSTRUCT_QUERY = "CONSTRUCT { group:ttp rdfs:label ?label } WHERE { group:ttp rdfs:label ?label }"
# The four query forms in full IRIs (rdflib's SPARQLStore sends no prefixes of ours).
SELECT = f"SELECT ?label WHERE {{ <{TTP}> <{RDFS_LABEL}> ?label }}"
ASK = f"ASK {{ <{TTP}> <{RDFS_LABEL}> ?label }}"
CONSTRUCT = f"CONSTRUCT {{ <{TTP}> <{RDFS_LABEL}> ?label }} WHERE {{ <{TTP}> <{RDFS_LABEL}> ?label }}"
DESCRIBE = f"DESCRIBE <{TTP}>"


@pytest.fixture(scope="module")
def server(built):
    """The app on a real server, rate limit off (this module sends many requests)."""
    with LiveServer(make_app(built, rate_limit_per_minute=0)) as live:
        yield live


@pytest.fixture(scope="module")
def capped(built):
    with LiveServer(make_app(built, rate_limit_per_minute=0, max_results=5)) as live:
        yield live


def sparql(server: LiveServer, method: str = "GET", **kwargs) -> requests.Response:
    return requests.request(method, server.url + "/sparql", timeout=30, **kwargs)


def json_labels(response: requests.Response) -> set[str]:
    return {b["label"]["value"] for b in response.json()["results"]["bindings"]}


def ttp_label(server: LiveServer) -> str:
    (label,) = json_labels(sparql(server, params={"query": LABEL_QUERY}))
    return label


# --- transports ---------------------------------------------------------------------------------


def test_get_post_form_and_post_direct_give_the_same_bindings(server):
    via_get = sparql(server, params={"query": LABEL_QUERY})
    via_form = sparql(server, "POST", data={"query": LABEL_QUERY})
    via_direct = sparql(
        server,
        "POST",
        data=LABEL_QUERY.encode(),
        headers={"Content-Type": "application/sparql-query; charset=utf-8"},
    )
    for response in (via_get, via_form, via_direct):
        assert response.status_code == 200
        assert response.headers["Content-Type"] == "application/sparql-results+json"
    assert json_labels(via_get) == json_labels(via_form) == json_labels(via_direct)
    assert "Tehrik" in next(iter(json_labels(via_get)))


def test_head_answers_like_get_without_a_body(server):
    response = requests.head(server.url + "/sparql", params={"query": LABEL_QUERY}, timeout=10)
    assert response.headers["Content-Type"] == "application/sparql-results+json"
    assert response.content == b""


# --- result formats, parsed back -----------------------------------------------------------------


@pytest.mark.parametrize(
    "accept",
    [
        "application/sparql-results+json",
        "application/sparql-results+xml",
        "text/csv",
        "text/tab-separated-values",
    ],
)
def test_select_in_every_result_format(server, accept):
    response = sparql(server, params={"query": TYPE_QUERY}, headers={"Accept": accept})
    assert response.status_code == 200
    assert response.headers["Content-Type"].split(";")[0] == accept
    owl_ontology = "http://www.w3.org/2002/07/owl#Ontology"
    if accept.endswith("json"):
        values = [b["type"]["value"] for b in response.json()["results"]["bindings"]]
    elif accept.endswith("xml"):
        root = ET.fromstring(response.content)
        assert [v.get("name") for v in root.iter(SRX + "variable")] == ["type"]
        values = [u.text for u in root.iter(SRX + "uri")]
    elif accept == "text/csv":
        rows = list(csv.reader(io.StringIO(response.text)))
        assert rows[0] == ["type"]
        values = [r[0] for r in rows[1:]]
        assert "\r\n" in response.text  # RFC 4180 line ends
    else:
        result = rdflib.query.Result.parse(io.BytesIO(response.content), format="tsv")
        values = [str(row[0]) for row in result]
    assert values == [owl_ontology]


@pytest.mark.parametrize("accept", ["application/sparql-results+json", "application/sparql-results+xml"])
def test_ask_in_json_and_xml(server, accept):
    yes = sparql(server, params={"query": "ASK { group:ttp rdfs:label ?l }"}, headers={"Accept": accept})
    no = sparql(
        server, params={"query": "ASK { group:ttp rdfs:label 'no such label' }"}, headers={"Accept": accept}
    )
    if accept.endswith("json"):
        assert (yes.json()["boolean"], no.json()["boolean"]) == (True, False)
    else:
        assert ET.fromstring(yes.content).find(SRX + "boolean").text == "true"
        assert ET.fromstring(no.content).find(SRX + "boolean").text == "false"


@pytest.mark.parametrize(
    ("accept", "rdflib_format"),
    [
        ("text/turtle", "turtle"),
        ("application/n-triples", "nt"),
        ("application/ld+json", "json-ld"),
        ("application/rdf+xml", "xml"),
        ("application/n-quads", "nquads"),
        ("application/trig", "trig"),
    ],
)
def test_construct_in_every_rdf_format(server, accept, rdflib_format):
    label = ttp_label(server)
    response = sparql(server, params={"query": CONSTRUCT_QUERY}, headers={"Accept": accept})
    assert response.status_code == 200
    assert response.headers["Content-Type"].split(";")[0] == accept
    graph = rdflib.Dataset() if rdflib_format in ("nquads", "trig") else rdflib.Graph()
    graph.parse(data=response.content, format=rdflib_format)
    triples = {
        (str(s), str(p), str(o))
        for s, p, o, *_ in (graph.quads() if isinstance(graph, rdflib.Dataset) else graph)
    }
    assert triples == {(TTP, RDFS_LABEL, label)}


def test_describe_returns_the_resource(server):
    response = sparql(
        server, params={"query": "DESCRIBE group:ttp"}, headers={"Accept": "application/n-triples"}
    )
    graph = rdflib.Graph().parse(data=response.text, format="nt")
    assert ttp_label(server) in {str(o) for o in graph.objects(rdflib.URIRef(TTP), rdflib.RDFS.label)}
    assert (rdflib.URIRef(TTP), rdflib.RDF.type, None) in graph


# --- content negotiation and the format parameter ------------------------------------------------


def test_q_values_pick_the_preferred_format(server):
    accept = "application/sparql-results+json;q=0.5, text/csv;q=0.9, application/sparql-results+xml;q=0.1"
    response = sparql(server, params={"query": TYPE_QUERY}, headers={"Accept": accept})
    assert response.headers["Content-Type"].startswith("text/csv")
    assert "Vary" in response.headers and "Accept" in response.headers["Vary"]
    graph = sparql(
        server,
        params={"query": CONSTRUCT_QUERY},
        headers={"Accept": "text/turtle;q=0.2, application/ld+json"},
    )
    assert graph.headers["Content-Type"] == "application/ld+json"
    assert json.loads(graph.text)[0]["@id"] == TTP


def test_no_accept_or_any_gives_json_and_turtle(server):
    for accept in (None, "*/*"):
        headers = {"Accept": accept} if accept else {}
        assert sparql(server, params={"query": TYPE_QUERY}, headers=headers).headers["Content-Type"] == (
            "application/sparql-results+json"
        )
        graph = sparql(server, params={"query": CONSTRUCT_QUERY}, headers=headers)
        assert graph.headers["Content-Type"].startswith("text/turtle")


@pytest.mark.parametrize(
    ("query", "fmt", "media_type"),
    [
        (TYPE_QUERY, "tsv", "text/tab-separated-values"),
        (TYPE_QUERY, "xml", "application/sparql-results+xml"),
        (TYPE_QUERY, "text/csv", "text/csv"),
        (CONSTRUCT_QUERY, "xml", "application/rdf+xml"),  # SPARQLWrapper's name for RDF/XML
        (CONSTRUCT_QUERY, "json", "application/ld+json"),
        (CONSTRUCT_QUERY, "nt", "application/n-triples"),
    ],
)
def test_format_parameter_overrides_accept(server, query, fmt, media_type):
    response = sparql(server, params={"query": query, "format": fmt}, headers={"Accept": "text/turtle"})
    assert response.status_code == 200
    assert response.headers["Content-Type"].split(";")[0] == media_type


def test_406_names_the_offered_types(server):
    response = sparql(server, params={"query": TYPE_QUERY}, headers={"Accept": "image/png"})
    assert response.status_code == 406
    assert "application/sparql-results+json" in response.text and "text/tab-separated-values" in response.text
    graph = sparql(server, params={"query": CONSTRUCT_QUERY}, headers={"Accept": "image/png"})
    assert graph.status_code == 406 and "text/turtle" in graph.text
    bad_format = sparql(server, params={"query": TYPE_QUERY, "format": "turtle"})
    assert bad_format.status_code == 406 and "format='turtle'" in bad_format.text


# --- protocol errors -----------------------------------------------------------------------------


def test_400_carries_the_parser_message_and_position(server):
    response = sparql(
        server, params={"query": "SELECT * WHERE { ?s ?p }"}, headers={"Accept": "application/json"}
    )
    assert response.status_code == 400
    message = response.json()["error"]["message"]
    assert message.startswith("query does not parse: error at 1:")
    assert "Traceback" not in response.text


def test_400_for_two_queries_and_empty_query(server):
    two = sparql(server, params=[("query", "ASK {}"), ("query", "ASK {}")])
    assert two.status_code == 400 and "one 'query'" in two.text
    empty = sparql(server, params={"query": ""})
    assert empty.status_code == 400 and "empty" in empty.text
    no_body = sparql(server, "POST", data=b"", headers={"Content-Type": "application/sparql-query"})
    assert no_body.status_code == 400
    form_without_query = sparql(server, "POST", data={"default-graph-uri": GRAPH_DATA})
    assert form_without_query.status_code == 400 and "'query'" in form_without_query.text


def test_415_for_another_content_type(server):
    response = sparql(server, "POST", data=TYPE_QUERY, headers={"Content-Type": "text/plain"})
    assert response.status_code == 415
    assert "application/sparql-query" in response.text and "text/plain" in response.text


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH"])
def test_405_with_allow_header(server, method):
    response = sparql(server, method, data=TYPE_QUERY)
    assert response.status_code == 405
    allowed = {m.strip() for m in response.headers["Allow"].split(",")}
    assert {"GET", "POST"} <= allowed and method not in allowed


# --- the dataset ---------------------------------------------------------------------------------


def test_default_graph_merges_published_graphs_but_truthy(server):
    # One triple lives in graph:ontology, the other in graph:data; both answer without GRAPH.
    ask = "ASK { <https://w3id.org/nexus-ld/ontology> a owl:Ontology . group:ttp rdfs:label ?l }"
    assert sparql(server, params={"query": ask}).json()["boolean"] is True
    # The founding event is in graph:data and again in graph:truthy: the default graph answers it once.
    count = "SELECT (COUNT(*) AS ?n) WHERE { event:ttp-founding rdfs:label ?l }"
    rows = sparql(server, params={"query": count}).json()["results"]["bindings"]
    assert rows[0]["n"]["value"] == "1"
    truthy = [("query", count), ("default-graph-uri", "https://w3id.org/nexus-ld/graph/truthy")]
    assert sparql(server, params=truthy).json()["results"]["bindings"][0]["n"]["value"] == "1"


def test_default_graph_uri_chooses_graphs_and_repeats(server):
    ontology_triple = "ASK { <https://w3id.org/nexus-ld/ontology> a owl:Ontology }"
    data_triple = "ASK { group:ttp rdfs:label ?l }"

    def ask(query, graphs):
        params = [("query", query)] + [("default-graph-uri", g) for g in graphs]
        return sparql(server, params=params).json()["boolean"]

    assert ask(ontology_triple, [GRAPH_ONTOLOGY]) is True
    assert ask(data_triple, [GRAPH_ONTOLOGY]) is False
    assert ask(data_triple, [GRAPH_ONTOLOGY, GRAPH_DATA]) is True
    assert ask(ontology_triple, [GRAPH_ONTOLOGY, GRAPH_DATA]) is True
    # POST form: the graphs go in the body too
    form = sparql(server, "POST", data=[("query", data_triple), ("default-graph-uri", GRAPH_ONTOLOGY)])
    assert form.json()["boolean"] is False


def test_named_graph_uri_limits_graph_patterns(server):
    query = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"
    everything = {
        b["g"]["value"] for b in sparql(server, params={"query": query}).json()["results"]["bindings"]
    }
    assert {GRAPH_DATA, GRAPH_ONTOLOGY} < everything
    params = [("query", query), ("named-graph-uri", GRAPH_DATA), ("named-graph-uri", GRAPH_ONTOLOGY)]
    chosen = {b["g"]["value"] for b in sparql(server, params=params).json()["results"]["bindings"]}
    assert chosen == {GRAPH_DATA, GRAPH_ONTOLOGY}


def test_from_clause_is_honoured_not_overridden_by_the_union(server):
    query = f"SELECT ?type FROM <{GRAPH_DATA}> WHERE {{ <https://w3id.org/nexus-ld/ontology> a ?type }}"
    assert sparql(server, params={"query": query}).json()["results"]["bindings"] == []
    query = f"SELECT ?type FROM <{GRAPH_ONTOLOGY}> WHERE {{ <https://w3id.org/nexus-ld/ontology> a ?type }}"
    assert len(sparql(server, params={"query": query}).json()["results"]["bindings"]) == 1


def test_bad_graph_iri_is_400(server):
    response = sparql(server, params={"query": TYPE_QUERY, "default-graph-uri": "not an iri"})
    assert response.status_code == 400 and "default-graph-uri" in response.text


# --- the result cap --------------------------------------------------------------------------------


def test_result_cap_is_signalled_in_headers(capped):
    cut = sparql(capped, params={"query": "SELECT ?s ?p ?o WHERE { ?s ?p ?o } LIMIT 20"})
    assert len(cut.json()["results"]["bindings"]) == 5
    assert cut.headers["Nexus-Result-Truncated"] == "true"
    assert (cut.headers["Nexus-Result-Limit"], cut.headers["Nexus-Result-Count"]) == ("5", "5")
    whole = sparql(capped, params={"query": "SELECT ?s WHERE { ?s ?p ?o } LIMIT 3"})
    assert len(whole.json()["results"]["bindings"]) == 3
    assert whole.headers["Nexus-Result-Truncated"] == "false"
    graph = sparql(
        capped,
        params={"query": "CONSTRUCT WHERE { ?s ?p ?o } LIMIT 20"},
        headers={"Accept": "application/n-triples"},
    )
    assert len(rdflib.Graph().parse(data=graph.text, format="nt")) == 5
    assert graph.headers["Nexus-Result-Truncated"] == "true"


# --- CORS ----------------------------------------------------------------------------------------


def test_cors_on_get_post_and_preflight(server):
    origin = {"Origin": "https://example.org"}
    get = sparql(server, params={"query": TYPE_QUERY}, headers=origin)
    assert get.headers["Access-Control-Allow-Origin"] == "*"
    assert "Nexus-Result-Truncated" in get.headers["Access-Control-Expose-Headers"]
    post = sparql(server, "POST", data={"query": TYPE_QUERY}, headers=origin)
    assert post.headers["Access-Control-Allow-Origin"] == "*"
    preflight = sparql(
        server,
        "OPTIONS",
        headers=origin
        | {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"},
    )
    assert preflight.status_code == 200
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
    assert preflight.headers["Access-Control-Allow-Headers"] == "content-type"


# --- service description and query UI ----------------------------------------------------------


@pytest.mark.parametrize(
    ("accept", "rdflib_format"),
    [("text/turtle", "turtle"), ("application/ld+json", "json-ld"), (None, "turtle")],
)
def test_get_without_query_gives_the_service_description(server, accept, rdflib_format):
    response = sparql(server, headers={"Accept": accept} if accept else {})
    assert response.status_code == 200
    graph = rdflib.Graph().parse(data=response.content, format=rdflib_format)
    service = rdflib.URIRef(BASE + "sparql")  # canonical, from the base setting (as in the VoID)
    assert (service, rdflib.RDF.type, SD.Service) in graph
    assert (service, SD.endpoint, service) in graph
    assert (service, SD.supportedLanguage, SD.SPARQL11Query) in graph
    # Not the union of all graphs: the truthy graph would repeat data triples.
    assert (service, SD.feature, SD.UnionDefaultGraph) not in graph
    formats = set(graph.objects(service, SD.resultFormat))
    assert rdflib.URIRef("http://www.w3.org/ns/formats/SPARQL_Results_TSV") in formats
    named = {str(n) for n in graph.objects(None, SD.name)}
    assert {GRAPH_DATA, GRAPH_ONTOLOGY} <= named


def test_browsers_get_the_query_ui_with_local_yasgui_and_examples(server):
    browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    page = sparql(server, headers={"Accept": browser})
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    html = page.text
    assert "/static/vendor/yasgui/yasgui.min.js" in html and "/static/vendor/yasgui/yasgui.min.css" in html
    assert "cdn" not in html.lower() and "unpkg" not in html.lower()
    for path in (
        "/static/vendor/yasgui/yasgui.min.js",
        "/static/vendor/yasgui/yasgui.min.css",
        "/static/sparql/sparql.js",
    ):
        asset = requests.get(server.url + path, timeout=10)
        assert asset.status_code == 200 and len(asset.content) > 500
    files = sorted((PROJECT_ROOT / "queries").glob("*.rq"))
    assert files, "the top-level queries/ folder holds the example queries"
    for path in files:
        title = path.read_text(encoding="utf-8").splitlines()[0].lstrip("#").strip()
        assert str(escape(title)) in html, f"example {path.name} is not offered by its title"
    examples = json.loads(html.split('id="nx-examples">', 1)[1].split("</script>", 1)[0])
    assert [e["name"] for e in examples] == [p.stem for p in files]
    assert examples[0]["query"] == files[0].read_text(encoding="utf-8")


# --- real clients ----------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["GET", "POST", "POSTDIRECTLY"])
def test_sparqlwrapper_select_on_every_transport(server, method):
    client = SPARQLWrapper(server.url + "/sparql")
    client.setQuery("PREFIX group: <https://w3id.org/nexus-ld/id/group/>\n" + LABEL_QUERY)
    client.setReturnFormat(JSON)
    if method == "POST":
        client.setMethod(SW_POST)
    elif method == "POSTDIRECTLY":
        client.setMethod(SW_POST)
        client.setRequestMethod(POSTDIRECTLY)
    result = client.queryAndConvert()
    assert [b["label"]["value"] for b in result["results"]["bindings"]] == [ttp_label(server)]


@pytest.mark.parametrize("fmt", [XML, CSV, TSV])
def test_sparqlwrapper_other_result_formats(server, fmt):
    client = SPARQLWrapper(server.url + "/sparql")
    client.setQuery(TYPE_QUERY)
    client.setReturnFormat(fmt)
    converted = client.queryAndConvert()
    text = (
        converted.toxml() if fmt == XML else converted.decode() if isinstance(converted, bytes) else converted
    )
    assert "http://www.w3.org/2002/07/owl#Ontology" in text


def test_sparqlwrapper_construct_and_ask(server):
    client = SPARQLWrapper(server.url + "/sparql")
    client.setQuery(CONSTRUCT_QUERY)
    client.setReturnFormat(TURTLE)
    graph = rdflib.Graph().parse(data=client.queryAndConvert(), format="turtle")
    assert {str(o) for o in graph.objects(rdflib.URIRef(TTP), rdflib.RDFS.label)} == {ttp_label(server)}
    client.setQuery("ASK { group:ttp rdfs:label ?l }")
    client.setReturnFormat(JSON)
    assert client.queryAndConvert()["boolean"] is True


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize("return_format", ["json", "xml", "csv", "tsv"])
def test_rdflib_sparqlstore_every_return_format_and_query_form(server, return_format, method):
    graph = rdflib.Graph(store=SPARQLStore(server.url + "/sparql", returnFormat=return_format, method=method))
    assert {str(row[0]) for row in graph.query(SELECT)} >= {ttp_label(server)}
    # CSV and TSV hold no boolean: an ASK asked only for them answers in JSON, which rdflib reads.
    assert graph.query(ASK).askAnswer is True
    built = graph.query(CONSTRUCT).graph
    assert {str(o) for o in built.objects(rdflib.URIRef(TTP), rdflib.RDFS.label)} >= {ttp_label(server)}
    described = graph.query(DESCRIBE).graph
    assert {str(o) for o in described.objects(rdflib.URIRef(TTP), rdflib.RDFS.label)} >= {ttp_label(server)}


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
        assert {str(o) for o in parsed.objects(rdflib.URIRef(TTP), rdflib.RDFS.label)} >= {ttp_label(server)}
