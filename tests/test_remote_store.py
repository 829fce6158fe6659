"""A real `oxigraph serve` as the store: `build --store` loads it through the Graph Store Protocol, and
the app answers /sparql, its pages and its named queries through the SPARQL Protocol; compared with
the embedded store on the same build."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pyoxigraph as ox
import pytest
import requests
from click.testing import CliRunner
from SPARQLWrapper import JSON, TURTLE, SPARQLWrapper

from nexus_ld.cli import main
from nexus_ld.config import Settings, load_settings
from nexus_ld.errors import BadRequest, QueryTimeout
from nexus_ld.store.embedded import Store
from nexus_ld.store.remote import RemoteStore, update_url_for
from nexus_ld.urls import Urls
from tests.conftest import QUICK_BUILD, LiveServer, free_port, make_app, wait_until_responds

pytestmark = pytest.mark.live  # an `oxigraph serve` process

TTP = "https://w3id.org/nexus-ld/id/group/ttp"
OXIGRAPH = shutil.which("oxigraph", path=str(Path(sys.executable).parent)) or shutil.which("oxigraph")
SERVER_TIMEOUT_S = 5  # `oxigraph serve --timeout-s`: the server stops a query's work itself


class OxigraphServer:
    """`oxigraph serve` on a free 127.0.0.1 port with its data in ``location``; stopped at the end."""

    def __init__(self, location: Path) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.query_url, self.store_url = self.base + "/query", self.base + "/store"
        cmd = [OXIGRAPH, "serve", "--location", str(location), "--bind", f"127.0.0.1:{self.port}"]
        self.proc = subprocess.Popen([*cmd, "--timeout-s", str(SERVER_TIMEOUT_S)], stderr=subprocess.PIPE)

    def wait(self, timeout: float = 30.0) -> None:
        wait_until_responds(self.query_url + "?query=ASK%20%7B%7D", timeout, self.proc)

    def ask(self, query: str) -> bool:
        """ASK the server directly (over all its graphs), not through nexus-ld."""
        response = requests.post(
            self.query_url,
            data={"query": query, "union-default-graph": ""},
            headers={"Accept": "application/sparql-results+json"},
            timeout=10,
        )
        response.raise_for_status()
        return response.json()["boolean"]

    def count(self) -> int:
        response = requests.post(
            self.query_url,
            data={"query": "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"},
            headers={"Accept": "application/sparql-results+json"},
            timeout=10,
        )
        return int(response.json()["results"]["bindings"][0]["n"]["value"])

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture(scope="session")
def oxigraph(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OxigraphServer]:
    assert OXIGRAPH, "the oxigraph CLI is missing: pip install oxigraph (the test extra)"
    server = OxigraphServer(tmp_path_factory.mktemp("oxigraph"))
    try:
        server.wait()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def remote_built(
    oxigraph: OxigraphServer, tmp_path_factory: pytest.TempPathFactory, project_dir: Path
) -> Settings:
    """`nexus-ld build --store URL` into the oxigraph server; the settings of a remote-store app."""
    folder = tmp_path_factory.mktemp("remote-build") / "build"
    args = ["--setting", "project_dir", str(project_dir), "--setting", "build_dir", str(folder)]
    args += ["--setting", "inference", QUICK_BUILD["inference"], "build", "--store", oxigraph.query_url]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert f"loading the graphs into {oxigraph.store_url}" in result.stderr
    values = {"project_dir": str(project_dir), "build_dir": str(folder), "store_url": oxigraph.query_url}
    return load_settings(values | {"inbox_path": str(folder.parent / "inbox.sqlite")}, environ={})


@pytest.fixture(scope="session")
def embedded_built(remote_built: Settings) -> Settings:
    return load_settings(dict(remote_built.values) | {"store_url": ""}, environ={})


@pytest.fixture(scope="session")
def servers(remote_built: Settings, embedded_built: Settings) -> Iterator[tuple[LiveServer, LiveServer]]:
    """(embedded, remote): the same build served from the embedded store and from oxigraph."""
    with LiveServer(make_app(embedded_built)) as embedded, LiveServer(make_app(remote_built)) as remote:
        yield embedded, remote


def _select(url: str, query: str) -> list[dict]:
    client = SPARQLWrapper(url + "/sparql")
    client.setQuery(query)
    client.setReturnFormat(JSON)
    return client.queryAndConvert()["results"]["bindings"]


# --- loading -------------------------------------------------------------------------------------------
def test_build_store_puts_every_graph(remote_built: Settings, oxigraph: OxigraphServer):
    release = json.loads((remote_built.build / "release.json").read_text())
    store = RemoteStore.open(remote_built)
    query = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
    counts = {r["g"].value: int(r["n"].value) for r in store.query(query)}
    assert counts == {store.graphs[name].value: n for name, n in release["graphs"].items()}
    assert oxigraph.count() == release["triples"]


def test_update_url_defaults():
    assert update_url_for("http://127.0.0.1:7878/query") == "http://127.0.0.1:7878/store"
    assert update_url_for("http://127.0.0.1:3030/ds") == "http://127.0.0.1:3030/ds"


# --- /sparql through the protocol ---------------------------------------------------------------------
QUERIES = [
    "SELECT ?label WHERE { group:ttp rdfs:label|skos:altLabel ?label } ORDER BY ?label",
    "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g",
    "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }",  # the union default graph (truthy left out)
    "SELECT ?status (COUNT(?c) AS ?n) WHERE { ?c a nx:Claim ; nx:status ?status }"
    " GROUP BY ?status ORDER BY ?status",
    "SELECT (COUNT(*) AS ?n) FROM graph:truthy WHERE { ?s ?p ?o }",  # the query's own dataset
]


@pytest.mark.parametrize("query", QUERIES)
def test_sparqlwrapper_gets_the_same_answers(servers, query):
    embedded, remote = servers
    expected = _select(embedded.url, query)
    assert expected and _select(remote.url, query) == expected


def test_dataset_parameters_reach_the_remote(servers):
    embedded, remote = servers
    params = {
        "query": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }",
        "default-graph-uri": "https://w3id.org/nexus-ld/graph/sources",
    }
    answers = [
        requests.get(s.url + "/sparql", params=params, headers={"Accept": "text/csv"}).text
        for s in (embedded, remote)
    ]
    assert answers[0] == answers[1] and answers[0].splitlines()[1] not in ("0", "")


def test_construct_and_ask(servers):
    embedded, remote = servers
    graphs = []
    for server in (embedded, remote):
        client = SPARQLWrapper(server.url + "/sparql")
        client.setQuery("CONSTRUCT { group:ttp ?p ?o } WHERE { GRAPH graph:data { group:ttp ?p ?o } }")
        client.setReturnFormat(TURTLE)
        graphs.append(set(ox.parse(client.queryAndConvert(), format=ox.RdfFormat.TURTLE)))
        client.setQuery("ASK { group:ttp a ?t }")
        client.setReturnFormat(JSON)
        assert client.queryAndConvert()["boolean"] is True
    assert graphs[0] == graphs[1] and len(graphs[0]) > 3


def test_a_syntax_error_gets_the_same_400(servers):
    messages = [
        requests.get(s.url + "/sparql", params={"query": "SELECT * WHERE { ?s ?p }"}).text for s in servers
    ]
    assert messages[0] == messages[1] and messages[0].startswith("400 Bad request: query does not parse")


def test_result_cap_applies(remote_built: Settings):
    app = make_app(remote_built, max_results=7)
    response = app.test_client().get("/sparql", query_string={"query": "SELECT * WHERE { ?s ?p ?o }"})
    assert len(response.get_json()["results"]["bindings"]) == 7
    assert response.headers["Nexus-Result-Truncated"] == "true"


# --- safety: the guard runs before anything is forwarded -----------------------------------------------
MARK = "<urn:x-test:marker>"
UPDATES = [
    ("GET", {"query": f"INSERT DATA {{ {MARK} {MARK} {MARK} }}"}, None, None),
    ("POST", {"update": f"INSERT DATA {{ GRAPH {MARK} {{ {MARK} {MARK} {MARK} }} }}"}, None, None),
    ("POST", None, f"INSERT DATA {{ {MARK} {MARK} {MARK} }}", "application/sparql-update"),
    ("POST", None, f"INSERT DATA {{ {MARK} {MARK} {MARK} }}", "application/sparql-query"),
    ("POST", {"query": "DROP ALL"}, None, None),
    ("POST", {"query": "CLEAR GRAPH graph:data"}, None, None),
    ("POST", {"query": "LOAD <http://127.0.0.1:9/x.ttl>"}, None, None),
    ("GET", {"query": "DELETE WHERE { ?s ?p ?o }"}, None, None),
]


@pytest.mark.parametrize(("method", "form", "body", "ctype"), UPDATES)
def test_updates_never_reach_the_remote(servers, oxigraph, remote_built, method, form, body, ctype):
    _, remote = servers
    before = oxigraph.count()
    if method == "GET":
        response = requests.get(remote.url + "/sparql", params=form)
    elif body is not None:
        response = requests.post(remote.url + "/sparql", data=body.encode(), headers={"Content-Type": ctype})
    else:
        response = requests.post(remote.url + "/sparql", data=form)
    assert response.status_code == 403 and "read-only" in response.text
    assert oxigraph.count() == before
    assert not oxigraph.ask(f"ASK {{ {{ {MARK} ?p ?o }} UNION {{ GRAPH {MARK} {{ ?s ?p ?o }} }} }}")


def test_service_is_refused_before_forwarding(servers):
    _, remote = servers
    query = "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }"
    response = requests.get(remote.url + "/sparql", params={"query": query})
    assert response.status_code == 403 and "service_allowlist" in response.text


def test_a_query_past_the_time_limit_gets_503_and_health_stays_up(remote_built: Settings):
    app = make_app(remote_built, query_timeout_s=0.5)
    slow = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
    with LiveServer(app) as server:
        started = time.monotonic()
        response = requests.get(server.url + "/sparql", params={"query": slow})
        assert time.monotonic() - started < SERVER_TIMEOUT_S
        assert response.status_code == 503 and "query_timeout_s" in response.text
        assert requests.get(server.url + "/healthz").json() == {"status": "ok"}
        assert requests.get(server.url + "/readyz").json()["status"] == "ready"


# --- the app's pages and named queries -----------------------------------------------------------------
NAMED = [
    ("listing", {"class": "https://w3id.org/nexus-ld/ontology#ArmedGroup"}),
    ("claims", {}),
    ("claims", {"status": "https://w3id.org/nexus-ld/id/status/allegation"}),
    ("passages", {"r": "https://w3id.org/nexus-ld/id/source/ttp-aq-isis-nexus"}),
    ("incoming", {"r": TTP}),
    ("class-counts", {}),
    ("claim-statuses", {}),
    ("exists", {"r": TTP}),
    ("exists", {"r": "https://w3id.org/nexus-ld/id/group/no-such-group"}),
    ("contribution-notes", {}),  # none in the bundled data: the query must still run remotely
    (
        "restates-triple",
        {
            "claim": "urn:x:new",
            "subject": TTP,
            "predicate": "https://w3id.org/nexus-ld/ontology#aim",
            "object": ox.Literal("to overthrow the government of Pakistan", language="en"),
        },
    ),
    (
        "restates-quote",
        {
            "claim": "urn:x:new",
            "source": "https://w3id.org/nexus-ld/id/source/ttp-aq-isis-nexus",
            "exact": ox.Literal("located along the Pak-Afghan border area"),
        },
    ),
]


def _rows(result) -> list:
    if isinstance(result, ox.QueryBoolean):
        return [bool(result)]
    # Blank nodes are labelled by each store its own way; everything else must be equal.
    return [tuple("_:" if isinstance(v, ox.BlankNode) else str(v) for v in row) for row in result]


@pytest.mark.parametrize(("name", "subs"), NAMED)
def test_named_queries_answer_as_the_embedded_store(remote_built, embedded_built, name, subs):
    embedded = Store.open(embedded_built.build)
    remote = RemoteStore.open(remote_built)
    remote_rows, embedded_rows = _rows(remote.named(name, subs)), _rows(embedded.named(name, subs))
    if any("_:" in row for row in embedded_rows if isinstance(row, tuple)):
        # Blank nodes sort by their labels, which differ between stores: compare as sets of rows.
        remote_rows, embedded_rows = sorted(remote_rows), sorted(embedded_rows)
    assert remote_rows == embedded_rows


@pytest.mark.parametrize("path", ["/", "/groups", "/people", "/claims?status=allegation", "/sources"])
def test_pages_are_the_same(servers, path):
    embedded, remote = servers
    pages = [requests.get(s.url + path) for s in (embedded, remote)]
    assert pages[0].status_code == pages[1].status_code == 200
    assert pages[0].text == pages[1].text


class CountingProxy:
    """A forwarding HTTP server on 127.0.0.1 that counts the requests it passes on to ``target``: the
    round trips a client makes to the store, counted on the wire."""

    def __init__(self, target: str) -> None:
        self.requests = 0
        proxy = self

        class Forward(BaseHTTPRequestHandler):
            def _forward(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                proxy.requests += 1
                headers = {k: self.headers[k] for k in ("Content-Type", "Accept") if self.headers[k]}
                answer = requests.request(self.command, target + self.path, data=body, headers=headers)
                self.send_response(answer.status_code)
                self.send_header("Content-Type", answer.headers.get("Content-Type", "text/plain"))
                self.send_header("Content-Length", str(len(answer.content)))
                self.end_headers()
                self.wfile.write(answer.content)

            do_GET = do_POST = _forward

            def log_message(self, *args: object) -> None:  # keep the test output quiet
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Forward)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def counted(oxigraph: OxigraphServer, remote_built: Settings) -> Iterator[tuple[RemoteStore, CountingProxy]]:
    """A RemoteStore that reaches the oxigraph server through a CountingProxy."""
    proxy = CountingProxy(oxigraph.base)
    try:
        yield (
            RemoteStore.open(
                load_settings(dict(remote_built.values) | {"store_url": proxy.url + "/query"}, environ={})
            ),
            proxy,
        )
    finally:
        proxy.close()


def _canonical(triples: list[ox.Triple]) -> set[ox.Quad]:
    """The triples with blank nodes named canonically (RDFC-1.0 as pyoxigraph implements it)."""
    dataset = ox.Dataset(ox.Quad(t.subject, t.predicate, t.object) for t in triples)
    dataset.canonicalize(ox.CanonicalizationAlgorithm.UNSTABLE)
    return set(dataset)


MAX_ROUND_TRIPS = 3  # issue 12: a description costs at most 3 round trips to a remote store


def test_a_description_of_each_kind_is_the_same_graph_remotely_in_three_round_trips(embedded_built, counted):
    """For the first labelled resource of each kind under the base (group, person, claim, source …) and
    TTP, the remote description (first page of incoming links) is isomorphic to the embedded one, and
    costs at most MAX_ROUND_TRIPS requests. Every entity's description is compared over HTTP, on
    `oxigraph serve` and on Virtuoso, by tests/test_store_parity.py."""
    remote, proxy = counted
    embedded = Store.open(embedded_built.build)
    urls, dataset = Urls(embedded.base), "https://example.org/void#dataset"
    query = (
        "SELECT DISTINCT ?e ?base WHERE { ?e rdfs:label|skos:prefLabel ?l FILTER(STRSTARTS(STR(?e), ?base)) }"
    )
    entities = sorted(row["e"].value for row in embedded.query(query, {"base": ox.Literal(embedded.base)}))
    assert len(entities) > 400 and TTP in entities
    kinds: dict[str, str] = {}
    for iri in entities:  # the kind: the folder after the base ("id/group", "ontology#" …)
        kinds.setdefault(iri[len(embedded.base) :].rsplit("/", 1)[0], iri)
    sample = sorted({TTP, *kinds.values()})
    assert len(sample) >= 10, kinds
    costs = {}
    for iri in sample:
        expected = embedded.describe(iri, 1, 50)
        before = proxy.requests
        got = remote.describe(iri, 1, 50)
        costs[iri] = proxy.requests - before
        assert got.incoming_total == expected.incoming_total, iri
        assert _canonical(got.rdf(urls, dataset)) == _canonical(expected.rdf(urls, dataset)), iri
    assert max(costs.values()) <= MAX_ROUND_TRIPS, max(costs.items(), key=lambda kv: kv[1])


def test_a_page_past_the_last_costs_at_most_three_round_trips(counted):
    remote, proxy = counted
    before = proxy.requests
    desc = remote.describe(TTP, 1000, 5)
    assert proxy.requests - before <= MAX_ROUND_TRIPS
    assert desc.incoming == [] and desc.incoming_total > 5 and desc.pages < 1000


def test_ttps_page_is_the_same_over_oxigraph_serve(servers):
    """The issue's figures: TTP's Turtle had 2,718 triples instead of 5,157 and no quotes remotely."""
    graphs, quotes = [], []
    for server in servers:
        turtle = requests.get(server.url + "/doc/group/ttp", headers={"Accept": "text/turtle"})
        triples = list(ox.parse(turtle.content, format=ox.RdfFormat.TURTLE))
        graphs.append(_canonical(triples))
        exact = ox.NamedNode("http://www.w3.org/ns/oa#exact")
        quotes.append(sum(1 for t in triples if t.predicate == exact))
    assert graphs[0] == graphs[1] and len(graphs[0]) > 5000
    assert quotes[0] == quotes[1] > 100
    pages = [requests.get(s.url + "/doc/group/ttp", headers={"Accept": "text/html"}).text for s in servers]
    assert pages[0] == pages[1]


def test_entity_page_and_description_work_remotely(servers):
    _, remote = servers
    page = requests.get(remote.url + "/doc/group/ttp")
    assert page.status_code == 200 and "Tehrik-i-Taliban Pakistan" in page.text
    turtle = requests.get(remote.url + "/doc/group/ttp", headers={"Accept": "text/turtle"}).text
    triples = set(ox.parse(turtle.encode(), format=ox.RdfFormat.TURTLE))
    label = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
    assert any(t.subject == ox.NamedNode(TTP) and t.predicate == label for t in triples)


def test_search_and_readyz_on_a_remote_store(servers, oxigraph, remote_built):
    embedded, remote = servers
    hits = [requests.get(s.url + "/search", params={"q": "TTP", "format": "json"}).json() for s in servers]
    assert hits[0] == hits[1] and hits[0]["hits"][0]["iri"] == TTP
    ready = requests.get(remote.url + "/readyz").json()
    release = json.loads((remote_built.build / "release.json").read_text())["release"]
    assert ready == {
        "release": release,
        "store": oxigraph.query_url,
        "search_index": True,
        "isolation": "none: the store is remote (store_url): the processes need the network to reach it",
        "status": "ready",
    }


def test_readyz_is_503_when_the_remote_is_down(remote_built: Settings):
    app = make_app(remote_built, store_url=f"http://127.0.0.1:{free_port()}/query")
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "unavailable" and "cannot be reached" in body["message"]


def test_remote_errors_are_typed(remote_built, oxigraph):
    store = RemoteStore(oxigraph.query_url, timeout=0.2)
    with pytest.raises(BadRequest, match="query does not parse"):
        store.query("SELECT WHERE")
    with pytest.raises(QueryTimeout, match="query_timeout_s"):
        list(store.query("SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"))


def test_an_entity_page_over_a_remote_store_costs_at_most_three_round_trips(remote_built, counted):
    """The whole page (HTML and Turtle), not only the description: its contribution notes come from the
    release's page table, not a fourth query. Counted on the wire, after one page has warmed the app."""
    _, proxy = counted
    client = make_app(remote_built, store_url=proxy.url + "/query").test_client()
    assert client.get("/doc/group/ttp").status_code == 200  # first use: the app's own set-up queries
    costs = {}
    for path in ("/doc/group/ttp", "/doc/person/baitullah-mehsud", "/doc/group/jua"):
        for accept in ("text/html", "text/turtle"):
            before = proxy.requests
            response = client.get(path, headers={"Accept": accept})
            assert response.status_code == 200, (path, accept)
            costs[path, accept] = proxy.requests - before
    assert max(costs.values()) <= MAX_ROUND_TRIPS, costs
