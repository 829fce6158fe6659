"""Hostile and broken input over real HTTP: each case gets a clear 4xx message and the inbox is unchanged."""

from __future__ import annotations

import gzip
import http.client
import sqlite3
from pathlib import Path

import pytest
import requests
from conftest import LiveServer, settings_for
from contributions_support import BAD, GOOD

from nexus_ld.config import Settings
from nexus_ld.web.app import create_app

pytestmark = pytest.mark.live  # a real server on a port

MEDIA = {
    ".ttl": "text/turtle",
    ".trig": "application/trig",
    ".nt": "application/n-triples",
    ".nq": "application/n-quads",
    ".jsonld": "application/ld+json",
    ".rdf": "application/rdf+xml",
}

# Each fixture file of tests/data/contributions/bad/: the status it gets and words its message has.
FILE_CASES = {
    "syntax-turtle.ttl": (400, "turtle syntax error", 4),
    "syntax-trig.trig": (400, "trig syntax error", 3),
    "syntax-ntriples.nt": (400, "ntriples syntax error", 3),
    "syntax-nquads.nq": (400, "nquads syntax error", 2),
    "syntax-jsonld.jsonld": (400, "invalid JSON", 4),
    "syntax-rdfxml.rdf": (400, "invalid XML", 4),
    "xxe.rdf": (400, "DOCTYPE", None),
    "billion-laughs.rdf": (400, "DOCTYPE", None),
    "remote-context.jsonld": (400, "never fetched", None),
    "remote-context-list.jsonld": (400, "never fetched", None),
    "deep-nesting.jsonld": (400, "nested deeper than 64", None),
    "invalid-iri.nt": (400, "Invalid IRI", 1),
    "relative-iri.nt": (400, "absolute IRI", 1),
    "non-utf8.ttl": (400, "not UTF-8", 2),
    "empty.ttl": (400, "empty input", None),
    "no-triples.ttl": (400, "no triples", None),
    "ill-typed.ttl": (422, "Ill-typed literal", None),
    "ontology-graph.trig": (422, "cannot write into the ontology graph", None),
    "truthy-graph.nq": (422, "cannot write into the truthy graph", None),
    "inferred-graph.trig": (422, "cannot write into the inferred graph", None),
    "vocabulary-edit.ttl": (422, "cannot change the vocabulary", None),
    "edit-published-claim.ttl": (422, "cannot be edited", None),
    "outside-base.ttl": (422, "outside the canonical base", None),
    "claim-without-source.ttl": (422, "prov:wasDerivedFrom", None),
    "new-source-without-text.ttl": (422, "ships its text", None),
    "wrong-quote.ttl": (422, "not at offsets 2098-2204", None),
}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, bundled: Settings):
    inbox = tmp_path_factory.mktemp("inbox") / "contributions.sqlite"
    settings = settings_for(bundled.project, inbox_path=str(inbox), max_body_bytes=2_000_000)
    with LiveServer(create_app(settings)) as live:
        live.inbox = inbox
        yield live


def inbox_rows(path: Path) -> list[tuple]:
    """Every row of the inbox (id, sha256, size), after an integrity check."""
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        return db.execute("SELECT id, sha256, size FROM contributions ORDER BY id").fetchall()


def message_of(response: requests.Response) -> str:
    body = response.json()
    if "error" in body:
        return body["error"]["message"]
    return " ".join(r["message"] for r in body["report"]["results"])


def test_there_are_at_least_thirty_hostile_cases() -> None:
    assert len(FILE_CASES) + len(GENERATED) >= 30
    assert sorted(FILE_CASES) == sorted(p.name for p in BAD.iterdir())


@pytest.mark.parametrize("name", sorted(FILE_CASES))
def test_bad_file_gets_a_clear_message_and_nothing_is_stored(server, name: str) -> None:
    status, words, line = FILE_CASES[name]
    path = BAD / name
    before = inbox_rows(server.inbox)
    response = requests.post(
        server.url + "/contributions",
        data=path.read_bytes(),
        headers={"Content-Type": MEDIA[path.suffix], "Accept": "application/json"},
        timeout=30,
    )
    assert response.status_code == status, response.text
    message = message_of(response)
    assert words in message
    assert "Traceback" not in response.text
    if line is not None:
        assert f"body:{line}:" in message or f"body:{line}" in message
    if status == 422:
        assert response.json()["stored"] is False
        assert response.json()["report"]["conforms"] is False
    assert inbox_rows(server.inbox) == before
    # The dry run says the same, with 200 for a readable but non-conforming body.
    dry = requests.post(
        server.url + "/validate",
        data=path.read_bytes(),
        headers={"Content-Type": MEDIA[path.suffix], "Accept": "application/json"},
        timeout=30,
    )
    assert dry.status_code == (200 if status == 422 else status)
    assert words in message_of(dry)
    assert inbox_rows(server.inbox) == before


def _post_raw(url: str, headers: dict[str, str], body: bytes) -> tuple[int, str]:
    """POST with exactly these headers (Content-Length may lie), reading the answer as soon as it comes."""
    host, port = url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    conn.putrequest("POST", "/contributions")
    for key, value in headers.items():
        conn.putheader(key, value)
    conn.endheaders()
    try:
        conn.send(body)
    except (BrokenPipeError, ConnectionResetError):
        pass  # the server answered and closed before reading all: what we want
    response = conn.getresponse()
    text = response.read().decode("utf-8")
    conn.close()
    return response.status, text


def _literal(size: int) -> bytes:
    return (
        b'<https://w3id.org/nexus-ld/id/group/x> <http://www.w3.org/2000/01/rdf-schema#comment> "'
        + b"a" * size
        + b'" .\n'
    )


GENERATED = {
    "50 MB body refused before reading it": (
        {"Content-Type": "text/turtle", "Content-Length": str(50 * 1024 * 1024)},
        b"@prefix x: <https://w3id.org/nexus-ld/> .\n" * 10,
        413,
        "more than the 2000000 accepted",
    ),
    "gzip bomb": (
        {"Content-Type": "text/turtle", "Content-Encoding": "gzip"},
        gzip.compress(b"#" * 30_000_000, compresslevel=9),
        413,
        "inflates to more than 2000000 bytes",
    ),
    "gzip without Content-Encoding": (
        {"Content-Type": "text/turtle"},
        gzip.compress(
            b"<https://w3id.org/nexus-ld/id/group/x> <http://www.w3.org/2000/01/rdf-schema#label> 'x' ."
        ),
        400,
        "gzip-compressed",
    ),
    "corrupt gzip": (
        {"Content-Type": "text/turtle", "Content-Encoding": "gzip"},
        b"\x1f\x8bnot gzip",
        400,
        "cannot be decompressed",
    ),
    "unsupported Content-Encoding": (
        {"Content-Type": "text/turtle", "Content-Encoding": "br"},
        b"x",
        415,
        "not supported",
    ),
    "missing Content-Type": ({}, (GOOD / "new-claim.ttl").read_bytes(), 415, "no Content-Type"),
    "wrong Content-Type": ({"Content-Type": "text/html"}, b"<html></html>", 415, "not an RDF format"),
    "10 MB literal": ({"Content-Type": "application/n-triples"}, _literal(10_000_000), 413, "accepted"),
    "150k-character literal under the size limit": (
        {"Content-Type": "application/n-triples"},
        _literal(150_000),
        413,
        "contribution_max_literal_chars",
    ),
    "100k blank nodes": (
        {"Content-Type": "text/turtle"},
        b"@prefix : <https://w3id.org/nexus-ld/ontology#> .\n" + b"[] :p [] .\n" * 100_000,
        413,
        "more than 20000 triples",
    ),
    "empty body": ({"Content-Type": "text/turtle"}, b"", 400, "empty input"),
}


@pytest.mark.parametrize("name", sorted(GENERATED))
def test_generated_hostile_body_is_refused_and_nothing_is_stored(server, name: str) -> None:
    headers, body, status, words = GENERATED[name]
    before = inbox_rows(server.inbox)
    headers = {"Accept": "application/json", **headers}
    if "Content-Length" not in headers:
        headers["Content-Length"] = str(len(body))
    code, text = _post_raw(server.url, headers, body)
    assert code == status, text[:500]
    assert words in text
    assert "Traceback" not in text
    assert inbox_rows(server.inbox) == before


def test_duplicate_submission_is_409_naming_the_first(server) -> None:
    body = (GOOD / "supersedes.ttl").read_bytes()
    first = requests.post(
        server.url + "/contributions", data=body, headers={"Content-Type": "text/turtle"}, timeout=30
    )
    assert first.status_code == 201, first.text
    before = inbox_rows(server.inbox)
    again = requests.post(
        server.url + "/contributions",
        data=body,
        headers={"Content-Type": "text/turtle", "Accept": "application/json"},
        timeout=30,
    )
    assert again.status_code == 409
    assert again.headers["Location"] == f"/contributions/{first.json()['id']}"
    assert first.json()["id"] in again.json()["error"]["message"]
    assert inbox_rows(server.inbox) == before


def test_rate_limit_answers_429_with_retry_after(tmp_path: Path, bundled: Settings) -> None:
    settings = settings_for(
        bundled.project, inbox_path=str(tmp_path / "inbox.sqlite"), contribution_rate_per_minute=2
    )
    client = create_app(settings).test_client()
    body = (BAD / "empty.ttl").read_bytes()
    codes = [client.post("/validate", data=body, content_type="text/turtle").status_code for _ in range(4)]
    assert codes[:2] == [400, 400]
    limited = client.post(
        "/validate", data=body, content_type="text/turtle", headers={"Accept": "application/json"}
    )
    assert limited.status_code == 429
    assert int(limited.headers["Retry-After"]) >= 1
    assert "contribution_rate_per_minute" in limited.get_json()["error"]["message"]
