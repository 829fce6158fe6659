"""The same answers from every store (issue 14): the session build served from the embedded store
(``live_server``) and by ``nexus-ld serve --store URL`` over a real Virtuoso and a real ``oxigraph serve``
holding the build's N-Quads dump. Compared: every example query of queries/ (terms by value,
order-insensitive except for the ORDER BY keys), the description of every entity (isomorphic),
the home page, /network.json, /timeline and /claims.

Ties under an ORDER BY come in any order (SPARQL leaves it open): only the sequence of the projected sort
keys is compared. Run with ``-s`` to see the seconds each store's set-up and pages take."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest
import requests

from nexus_ld.config import Settings
from nexus_ld.store.embedded import Store
from nexus_ld.store.remote import upload_build
from nexus_ld.urls import Urls
from tests.conftest import ROOT, LiveServer, free_port, stop_process, wait_until_responds
from tests.test_remote_store import OxigraphServer
from tests.virtuoso_support import Virtuoso

pytestmark = pytest.mark.live  # Virtuoso, oxigraph and nexus-ld serve as processes

STORES = ("virtuoso", "oxigraph")
QUERIES = sorted((ROOT / "queries").glob("*.rq"))
PAGES = (
    "/",
    "/timeline",
    "/claims",
    "/claims?page=2",
    "/network",
    "/ontology",
    "/groups",
    "/people",
    "/events",
    "/events?page=2",  # cut inside listing.rq's sub-SELECT (LIMIT/OFFSET), on every store
    "/relationships",
    "/places",
    "/sources",
)
XSD = "http://www.w3.org/2001/XMLSchema#"
NUMERIC = {XSD + t for t in ("integer", "decimal", "double", "float", "int", "long", "nonNegativeInteger")}
TIMEOUT_S = 60
HTML = {"Accept": "text/html"}


def seconds(label: str, started: float, count: int = 1) -> None:
    took = time.monotonic() - started
    each = f" ({1000 * took / count:.1f} ms each of {count})" if count > 1 else ""
    print(f"\n[parity] {label}: {took:.1f} s{each}")


# --- the servers -----------------------------------------------------------------------------------
def nquads_dump(built: Settings) -> Path:
    release = json.loads((built.build / "release.json").read_text(encoding="utf-8"))
    return built.build / "dumps" / next(e["file"] for e in release["dumps"] if e["format"] == "nquads")


@pytest.fixture(scope="module")
def virtuoso_url(built: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A Virtuoso holding the build's N-Quads dump (bulk-loaded, as docs/scaling.md says)."""
    server = Virtuoso(tmp_path_factory.mktemp("virtuoso"))
    started = time.monotonic()
    try:
        server.start()
        seconds("Virtuoso: new database, started", started)
        loaded = time.monotonic()
        server.load(nquads_dump(built))
        seconds("Virtuoso: dump loaded", loaded)
        yield server.sparql_url
    finally:
        server.stop()


@pytest.fixture(scope="module")
def oxigraph_url(built: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """An ``oxigraph serve`` holding the build (loaded as ``build --store`` loads it)."""
    server = OxigraphServer(tmp_path_factory.mktemp("oxigraph"))
    started = time.monotonic()
    try:
        server.wait()
        upload_build(built.build, server.store_url)
        seconds("oxigraph serve: started and loaded", started)
        yield server.query_url
    finally:
        server.stop()


@dataclass(frozen=True)
class Remote:
    store: str  # "virtuoso" or "oxigraph"
    url: str  # of `nexus-ld serve --store` over it


@pytest.fixture(scope="module", params=STORES)
def remote(
    request: pytest.FixtureRequest, built: Settings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Remote]:
    """``nexus-ld serve --store URL`` over the build (its release.json) in that store."""
    store_url = request.getfixturevalue(f"{request.param}_url")
    port = free_port()
    log = tmp_path_factory.mktemp("serve") / "serve.log"
    settings = ["project_dir", built.values["project_dir"], "build_dir", built.values["build_dir"]]
    # A loaded CI machine can be slow: the parity tests are about answers, not about the 10 s default.
    settings += ["inbox_path", str(log.parent / "inbox.sqlite"), "query_timeout_s", str(TIMEOUT_S)]
    args = [a for pair in zip(["--setting"] * 4, settings[::2], settings[1::2], strict=True) for a in pair]
    cmd = [sys.executable, "-m", "nexus_ld", *args, "serve", "--port", str(port), "--store", store_url]
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=out)
    try:
        wait_until_responds(f"http://127.0.0.1:{port}/healthz", 30, proc, log)
        yield Remote(request.param, f"http://127.0.0.1:{port}")
    finally:
        stop_process(proc)


# --- comparing answers -----------------------------------------------------------------------------
def by_value(term: dict[str, str] | None) -> Any:
    """A SPARQL JSON term as a comparable value: numbers and booleans by value, blank nodes as one
    value (their labels are each server's own), xsd:string as a simple literal."""
    if term is None:
        return None
    kind, value = term["type"], term["value"]
    if kind == "bnode":
        return ("bnode",)
    if kind == "uri":
        return ("uri", value)
    datatype = term.get("datatype", XSD + "string")
    if datatype in NUMERIC:
        try:
            return ("number", Decimal(value))
        except InvalidOperation:
            pass
    if datatype == XSD + "boolean":
        return ("boolean", value in ("true", "1"))
    return ("literal", value, term.get("xml:lang", "").lower(), datatype)


def answer(session: requests.Session, base: str, text: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    response = session.post(
        base + "/sparql",
        data={"query": text},
        headers={"Accept": "application/sparql-results+json"},
        timeout=TIMEOUT_S,
    )
    assert response.status_code == 200, f"{base}: {response.status_code} {response.text[:500]}"
    body = response.json()
    if "boolean" in body:
        return [], [(body["boolean"],)]
    names = body["head"]["vars"]
    return names, [tuple(by_value(b.get(n)) for n in names) for b in body["results"]["bindings"]]


def sort_keys(text: str, names: list[str]) -> list[int]:
    """Columns of the leading ORDER BY keys that are projected (``?x``, ``STR(?x)``, ``DESC(?x)`` …).

    A key bound from a projected variable (``BIND(STR(?label) AS ?text)``, ``BIND(SUBSTR(?text, 1, 15)
    AS ?k1)``: the pieces a query sorts on first, docs/sparql.md) stands for that variable's column."""
    # The query's own ORDER BY is the last one (a subquery's comes before it).
    parts = re.split(r"ORDER\s+BY\s+", text, flags=re.IGNORECASE)
    bound = dict(
        (alias, source)
        for source, alias in re.findall(r"BIND\((?:SUBSTR\()?(?:STR\()?\?(\w+)[^?]*?\s+AS\s+\?(\w+)\)", text)
    )
    columns: list[int] = []
    for key in re.split(r"\s+(?![^(]*\))", parts[-1].strip()) if len(parts) > 1 else []:
        plain = re.fullmatch(r"(?:(?:ASC|DESC)\()?(?:STR\()?\?(\w+)\)?\)?", key, re.IGNORECASE)
        name = plain.group(1) if plain else None
        while name in bound and name not in names:
            name = bound[name]
        if name is None or name not in names:
            break  # an expression or a variable not shown: the keys after it cannot be checked
        if not columns or columns[-1] != names.index(name):  # pieces of one string, then the string
            columns.append(names.index(name))
    return columns


@pytest.fixture(scope="module")
def session() -> Iterator[requests.Session]:
    with requests.Session() as s:
        yield s


@pytest.mark.parametrize("path", QUERIES, ids=lambda p: p.stem)
def test_example_query_answers_the_same(session, live_server: LiveServer, remote: Remote, path: Path):
    text = path.read_text(encoding="utf-8")
    names, expected = answer(session, live_server.url, text)
    remote_names, got = answer(session, remote.url, text)
    assert remote_names == names
    assert Counter(got) == Counter(expected), (
        f"only embedded: {list((Counter(expected) - Counter(got)).elements())[:5]}\n"
        f"only {remote.store}: {list((Counter(got) - Counter(expected)).elements())[:5]}"
    )
    columns = sort_keys(text, names)
    assert [tuple(r[c] for c in columns) for r in got] == [tuple(r[c] for c in columns) for r in expected]


# --- entity descriptions ---------------------------------------------------------------------------
def entities(store: Store) -> list[str]:
    """Every IRI under {base}id/ that the data graph describes."""
    ids = ox.Literal(store.base + "id/")
    query = (
        f"SELECT DISTINCT ?s WHERE {{ GRAPH graph:data {{ ?s ?p ?o }} FILTER(STRSTARTS(STR(?s), {ids})) }}"
    )
    return [row["s"].value for row in store.query(query)]


def canonical(ntriples: bytes) -> set[str]:
    """The triples with blank nodes named by RDFC-1.0: equal sets mean isomorphic graphs."""
    dataset = ox.Dataset(
        ox.Quad(t.subject, t.predicate, t.object) for t in ox.parse(ntriples, ox.RdfFormat.N_TRIPLES)
    )
    dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    return {str(quad) for quad in dataset}


def describe_all(session: requests.Session, base: str, paths: list[str]) -> dict[str, set[str]]:
    def one(path: str) -> tuple[str, set[str]]:
        response = session.get(base + path, headers={"Accept": "application/n-triples"}, timeout=TIMEOUT_S)
        assert response.status_code == 200, f"{base}{path}: {response.status_code} {response.text[:300]}"
        return path, canonical(response.content)

    with ThreadPoolExecutor(4) as pool:  # the servers are threaded; 4 requests in flight on 2 cores
        return dict(pool.map(one, paths))


@pytest.fixture(scope="module")
def descriptions(session, store: Store, live_server: LiveServer) -> dict[str, set[str]]:
    """Every entity's description and the ontology from the embedded store, canonical (fetched once)."""
    urls = Urls(store.base)
    paths = [urls.doc(iri, "nt") for iri in entities(store)] + [urls.doc(urls.ontology_iri, "nt")]
    assert len(paths) > 300  # every entity of the bundled data, not a sample
    started = time.monotonic()
    described = describe_all(session, live_server.url, paths)
    seconds("embedded: entity descriptions", started, len(paths))
    return described


def test_every_entity_description_and_the_ontology_are_isomorphic(
    session, descriptions: dict[str, set[str]], remote: Remote
):
    started = time.monotonic()
    got = describe_all(session, remote.url, list(descriptions))
    seconds(f"{remote.store}: entity descriptions", started, len(descriptions))
    differ = [path for path, expected in descriptions.items() if got[path] != expected]
    assert not differ, f"{len(differ)} descriptions differ, e.g. {differ[0]}: " + str(
        (
            sorted(descriptions[differ[0]] - got[differ[0]])[:3],
            sorted(got[differ[0]] - descriptions[differ[0]])[:3],
        )
    )


# --- pages -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("path", PAGES)
def test_page_is_the_same(session, live_server: LiveServer, remote: Remote, path: str):
    started = time.monotonic()
    expected = session.get(live_server.url + path, headers=HTML, timeout=TIMEOUT_S)
    seconds(f"embedded: {path}", started)
    started = time.monotonic()
    got = session.get(remote.url + path, headers=HTML, timeout=TIMEOUT_S)
    seconds(f"{remote.store}: {path}", started)
    assert (got.status_code, expected.status_code) == (200, 200)
    assert got.text == expected.text


def test_network_data_is_the_same(session, live_server: LiveServer, remote: Remote):
    expected = session.get(live_server.url + "/network.json?status=all", timeout=TIMEOUT_S).json()
    got = session.get(remote.url + "/network.json?status=all", timeout=TIMEOUT_S).json()
    assert len(expected["edges"]) > 30 and len(expected["nodes"]) > 30
    assert got == expected
