"""Cacheable by release and compressed (issue 15): every published GET answer carries a weak ETag of
(release, request, format) and ``public, max-age``; ``If-None-Match`` gets a 304; the inbox, health,
POSTs and errors are ``no-store``; answers over 1 KB are compressed by the client's Accept-Encoding,
with ``Vary`` naming exactly what the answer depends on."""

from __future__ import annotations

import ast
import gzip
import json
from pathlib import Path
from urllib.parse import urlencode

import brotli
import pytest
from backports import zstd

from nexus_ld.web.caching import MIN_SIZE, NO_STORE, PUBLISHED
from tests.conftest import make_app

ASK = "ASK { group:ttp ?p ?o }"
SELECT = "SELECT ?label WHERE { group:ttp rdfs:label ?label }"
# One path per kind of published answer (the negotiated ones with the format they are asked in).
PUBLISHED_PATHS = [
    ("/", "text/html"),
    ("/groups", "text/html"),
    ("/claims", "text/html"),
    ("/doc/group/ttp", "text/html"),
    ("/doc/group/ttp", "text/turtle"),
    ("/doc/group/ttp", "application/ld+json"),
    ("/doc/group/ttp", "application/n-triples"),
    ("/doc/group/ttp", "application/rdf+xml"),
    ("/ontology", "text/turtle"),
    ("/sparql?" + urlencode({"query": SELECT}), "application/sparql-results+json"),
    ("/sparql?" + urlencode({"query": SELECT}), "text/csv"),
    ("/sparql", "text/html"),
    ("/search?q=taliban", "text/html"),
    ("/network.json", "application/json"),
    ("/network", "text/html"),
    ("/timeline", "text/html"),
    ("/void", "text/turtle"),
    ("/downloads/", "application/json"),
]


@pytest.fixture(scope="module")
def app(built):
    return make_app(built, rate_limit_per_minute=0)


@pytest.fixture()
def client(app):
    return app.test_client()


def vary(response) -> list[str]:
    return [v.strip() for v in response.headers.get("Vary", "").split(",") if v.strip()]


@pytest.mark.parametrize(("path", "accept"), PUBLISHED_PATHS)
def test_published_answers_have_a_weak_release_etag_cache_control_and_304(client, store, path, accept):
    first = client.get(path, headers={"Accept": accept})
    assert first.status_code == 200, first.get_data(as_text=True)[:300]
    etag = first.headers["ETag"]
    assert etag.startswith(f'W/"{store.release["release"]}-'), etag
    assert first.headers["Cache-Control"] == PUBLISHED
    again = client.get(path, headers={"Accept": accept, "If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    assert again.headers["ETag"] == etag and again.headers["Cache-Control"] == PUBLISHED
    # The weak comparison of RFC 9110: the strong form of the same tag matches too, in a list.
    strong = etag.removeprefix("W/")
    listed = client.get(path, headers={"Accept": accept, "If-None-Match": f'"other", {strong}'})
    assert listed.status_code == 304
    head = client.head(path, headers={"Accept": accept})
    assert head.headers["ETag"] == etag


def test_the_etag_names_the_request_and_the_chosen_format(client):
    def tag(path: str, accept: str = "*/*") -> str:
        return client.get(path, headers={"Accept": accept}).headers["ETag"]

    ask = "/sparql?" + urlencode({"query": ASK})
    tags = {
        tag("/doc/group/ttp", "text/turtle"),
        tag("/doc/group/ttp", "text/html"),
        tag("/doc/group/ttp?incoming=2", "text/turtle"),
        tag("/doc/group/jua", "text/turtle"),
        tag(ask),
        tag("/sparql?" + urlencode({"query": SELECT})),
        tag(ask + "&" + urlencode({"default-graph-uri": "https://w3id.org/nexus-ld/graph/data"})),
        tag(ask, "application/sparql-results+xml"),
    }
    assert len(tags) == 8  # each of these answers differs, and so does its tag
    # Two Accept headers that choose the same format choose the same answer: one tag.
    assert tag("/doc/group/ttp", "text/turtle") == tag("/doc/group/ttp", "text/turtle;q=0.9, text/html;q=0.1")
    # Another format's tag is not a match.
    turtle = tag("/doc/group/ttp", "text/turtle")
    html = client.get("/doc/group/ttp", headers={"Accept": "text/html", "If-None-Match": turtle})
    assert html.status_code == 200


def test_the_etag_follows_the_release_the_request_is_answered_from(built, tmp_path):
    """A new release id (here: a store that says another) gives every answer a new tag; the old tag
    no longer matches."""
    app = make_app(built)
    client = app.test_client()
    before = client.get("/doc/group/ttp.ttl")
    store = app.extensions["nexus_ld"].state.store
    original = store.release
    store.release = dict(original) | {"release": "next-release"}
    try:
        after = client.get("/doc/group/ttp.ttl", headers={"If-None-Match": before.headers["ETag"]})
    finally:
        store.release = original
    assert after.status_code == 200 and after.data == before.data
    assert (
        after.headers["ETag"].startswith('W/"next-release-')
        and after.headers["ETag"] != before.headers["ETag"]
    )


def test_the_etag_follows_the_settings_but_holds_no_secret(built):
    def tag(**settings) -> str:
        return make_app(built, **settings).test_client().get("/groups").headers["ETag"]

    plain = tag()
    assert tag(page_size=7) != plain  # another page size, other pages: another tag
    assert tag(maintainer_token="s3cret-token-value") == plain  # the token is not hashed into it


@pytest.mark.parametrize(
    ("method", "path", "kwargs"),
    [
        ("GET", "/healthz", {}),
        ("GET", "/readyz", {}),
        ("GET", "/contribute", {}),
        ("GET", "/contributions/no-such-entry", {}),
        ("POST", "/sparql", {"data": {"query": ASK}}),
        ("POST", "/validate", {"data": "<a:b> <c:d> <e:f> .", "content_type": "text/turtle"}),
        ("GET", "/doc/group/no-such-group", {}),
        ("GET", "/sparql?" + urlencode({"query": "SELECT nothing"}), {}),
        ("GET", "/sparql?" + urlencode({"query": ASK}), {"headers": {"Accept": "image/png"}}),
    ],
)
def test_what_is_not_a_published_answer_is_never_stored(client, method, path, kwargs):
    response = client.open(path, method=method, **kwargs)
    assert response.headers["Cache-Control"] == NO_STORE, (response.status_code, response.headers)
    assert "ETag" not in response.headers


def test_the_303_from_id_is_cacheable_too(client):
    response = client.get("/id/group/ttp", headers={"Accept": "text/turtle"})
    assert response.status_code == 303 and response.headers["Cache-Control"] == PUBLISHED


@pytest.mark.parametrize(
    ("encoding", "decode"),
    [("gzip", gzip.decompress), ("br", brotli.decompress), ("zstd", zstd.decompress)],
)
def test_answers_over_1kb_are_compressed_as_asked_with_vary(client, encoding, decode):
    plain = client.get("/doc/group/ttp", headers={"Accept": "application/ld+json"})
    assert "Content-Encoding" not in plain.headers and len(plain.data) > MIN_SIZE
    packed = client.get(
        "/doc/group/ttp", headers={"Accept": "application/ld+json", "Accept-Encoding": encoding}
    )
    assert packed.headers["Content-Encoding"] == encoding
    assert decode(packed.data) == plain.data
    assert len(packed.data) < len(plain.data) / 3
    assert int(packed.headers["Content-Length"]) == len(packed.data)
    assert vary(packed) == vary(plain) == ["Accept", "Accept-Encoding"]
    # One weak tag for every encoding of the answer: a cached identity copy revalidates a gzip request.
    assert packed.headers["ETag"] == plain.headers["ETag"]
    again = client.get(
        "/doc/group/ttp",
        headers={
            "Accept": "application/ld+json",
            "Accept-Encoding": encoding,
            "If-None-Match": plain.headers["ETag"],
        },
    )
    assert again.status_code == 304 and again.data == b""
    assert vary(again) == ["Accept", "Accept-Encoding"]


def test_sparql_results_and_rdf_are_compressed_and_q_values_are_honoured(client):
    query = "/sparql?" + urlencode({"query": "SELECT ?s ?p ?o WHERE { ?s ?p ?o } LIMIT 200"})
    results = client.get(query, headers={"Accept-Encoding": "gzip;q=1, br;q=0.5"})
    assert results.headers["Content-Encoding"] == "gzip"
    assert len(json.loads(gzip.decompress(results.data))["results"]["bindings"]) == 200
    assert vary(results) == ["Accept", "Accept-Encoding"]
    refused = client.get(query, headers={"Accept-Encoding": "gzip;q=0, identity"})
    assert "Content-Encoding" not in refused.headers


def test_small_answers_and_release_files_go_as_they_are(client, store):
    small = client.get("/sparql?" + urlencode({"query": ASK}), headers={"Accept-Encoding": "gzip"})
    assert len(small.data) < MIN_SIZE and "Content-Encoding" not in small.headers
    assert vary(small) == ["Accept"]  # nothing depends on Accept-Encoding here
    network = client.get("/network.json", headers={"Accept-Encoding": "gzip"})
    assert network.headers["Content-Encoding"] == "gzip" and vary(network) == ["Accept-Encoding"]
    sums = client.get("/downloads/SHA256SUMS", headers={"Accept-Encoding": "gzip, br, zstd"})
    assert sums.status_code == 200 and sums.mimetype == "text/plain" and len(sums.data) > MIN_SIZE
    assert "Content-Encoding" not in sums.headers and "Accept-Encoding" not in vary(sums)
    dump = store.release["dumps"][0]  # already gzip: sent as stored, its checksum as its tag
    plain = client.get("/downloads/" + dump["file"], headers={"Accept-Encoding": "gzip, br, zstd"})
    assert plain.status_code == 200 and "Content-Encoding" not in plain.headers
    assert plain.headers["ETag"] == f'"{dump["sha256"]}"'
    assert gzip.decompress(plain.data)
    part = client.get(
        "/downloads/" + dump["file"], headers={"Range": "bytes=0-99", "Accept-Encoding": "gzip"}
    )
    assert (
        part.status_code == 206 and part.data == plain.data[:100] and "Content-Encoding" not in part.headers
    )


def test_errors_are_not_compressed_or_tagged(client):
    missing = client.get(
        "/doc/group/no-such-group", headers={"Accept": "text/html", "Accept-Encoding": "gzip"}
    )
    assert missing.status_code == 404 and "ETag" not in missing.headers
    assert "no-such-group" in missing.get_data(as_text=True)


def test_static_files_are_compressed_on_the_fly_with_a_tag_per_encoding(client):
    path = "/static/vendor/yasgui/yasgui.min.js"
    plain = client.get(path)
    assert plain.status_code == 200 and len(plain.data) > MIN_SIZE
    for encoding, decode in (("gzip", gzip.decompress), ("br", brotli.decompress), ("zstd", zstd.decompress)):
        packed = client.get(path, headers={"Accept-Encoding": encoding})
        assert packed.headers["Content-Encoding"] == encoding and decode(packed.data) == plain.data
        # A file's tag is strong: each encoding gets its own (flask-compress appends it).
        assert packed.headers["ETag"] == plain.headers["ETag"][:-1] + f':{encoding}"'
        assert vary(packed) == ["Accept-Encoding"]
        again = client.get(
            path, headers={"Accept-Encoding": encoding, "If-None-Match": packed.headers["ETag"]}
        )
        assert again.status_code == 304 and again.data == b""


def test_only_caching_py_sets_tags_and_cache_control() -> None:
    """One place (web/README.md): no other module of web/ calls set_etag or make_conditional, or names
    the ETag or Cache-Control header; release files pass their checksum to send_file, which sets both."""
    web = Path(__file__).resolve().parents[1] / "src" / "nexus_ld" / "web"
    found = []
    for path in web.rglob("*.py"):
        if path.name == "caching.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and node.attr in (
                "set_etag",
                "make_conditional",
                "cache_control",
            ):
                found.append(f"{path.name}:{node.lineno} {node.attr}")
            if isinstance(node, ast.Constant) and node.value in ("ETag", "Cache-Control"):
                found.append(f"{path.name}:{node.lineno} {node.value}")
    assert found == []


class Counted:
    """Counts the queries that reach the real store through its one door (``evaluate``), the jobs
    the endpoint's executor runs and the templates rendered (a listing reads its build-time table,
    no query): what a view does before it answers."""

    def __init__(self, app, monkeypatch) -> None:
        from flask import template_rendered

        from nexus_ld.web.sparql.endpoint import EXTENSION

        self.queries = 0

        def rendered(sender, template, context, **extra) -> None:
            self.queries += 1

        self._rendered = rendered  # held here: blinker holds its receivers weakly
        template_rendered.connect(rendered, app)
        state = app.extensions["nexus_ld"].state
        store, executor = state.store, app.extensions[EXTENSION].executor_for(state)
        evaluate, call = store.evaluate, executor.call

        def counted_evaluate(*args, **kwargs):
            self.queries += 1
            return evaluate(*args, **kwargs)

        def counted_call(task, *args, **kwargs):
            self.queries += task.__name__ == "query_task"
            return call(task, *args, **kwargs)

        monkeypatch.setattr(store, "evaluate", counted_evaluate)
        monkeypatch.setattr(executor, "call", counted_call)

    def during(self, send) -> tuple[int, object]:
        before = self.queries
        response = send()
        return self.queries - before, response


@pytest.mark.parametrize(
    ("path", "accept"),
    [
        ("/doc/group/ttp", "text/html"),  # negotiated: 304 from choose, before describe()
        ("/doc/group/ttp", "text/turtle"),
        ("/doc/group/ttp.jsonld", "*/*"),  # a suffix: chosen too
        ("/groups", "text/html"),  # not negotiated: 304 before the view is called
        ("/sparql?" + urlencode({"query": SELECT}), "application/sparql-results+json"),
    ],
)
def test_a_matching_conditional_get_is_answered_before_the_view_queries(app, monkeypatch, path, accept):
    counted = Counted(app, monkeypatch)
    client = app.test_client()
    queries, first = counted.during(lambda: client.get(path, headers={"Accept": accept}))
    assert first.status_code == 200 and queries > 0  # rendering it queries the store or renders
    etag = first.headers["ETag"]
    for method in ("GET", "HEAD"):
        queries, again = counted.during(
            lambda m=method: client.open(path, method=m, headers={"Accept": accept, "If-None-Match": etag})
        )
        assert (again.status_code, again.data, queries) == (304, b"", 0), method
        # What a cache updates its copy with is what the 200 said (RFC 9111 §4.3.4).
        for name in ("ETag", "Cache-Control", "Vary", "Content-Security-Policy", "Nexus-Release"):
            assert again.headers.get(name) == first.headers.get(name), (method, name)
        assert "Content-Type" not in again.headers and "Content-Length" not in again.headers
    # A tag that is not this answer's (another release's, another format's, made up): rendered.
    others = [etag.replace('W/"', 'W/"old-release-'), 'W/"nothing"', etag.replace('"', '"x', 1)]
    for other in others:
        queries, fresh = counted.during(
            lambda o=other: client.get(path, headers={"Accept": accept, "If-None-Match": o})
        )
        assert fresh.status_code == 200 and fresh.data == first.data and queries > 0, other
        assert fresh.headers["ETag"] == etag
    head = client.head(path, headers={"Accept": accept, "If-None-Match": 'W/"nothing"'})
    assert head.status_code == 200 and head.headers["ETag"] == etag
    # "*" matches any answer there is: whether there is one, only the view can tell.
    queries, star = counted.during(lambda: client.get(path, headers={"Accept": accept, "If-None-Match": "*"}))
    assert star.status_code == 304 and star.headers["ETag"] == etag and queries > 0


@pytest.mark.parametrize(
    ("path", "accept"),
    [
        ("/doc/group/ttp", "text/turtle"),
        ("/doc/group/ttp", "text/html"),
        ("/doc/group/ttp?incoming=1", "application/ld+json"),
        ("/ontology", "application/n-triples"),
        ("/void", "text/turtle"),
    ],
)
def test_an_early_304_repeats_the_content_location_and_link_of_its_200(app, monkeypatch, path, accept):
    """RFC 9110 §15.4.5: a 304 carries the Content-Location its 200 would have; it is still answered
    before the view's queries."""
    counted = Counted(app, monkeypatch)
    client = app.test_client()
    first = client.get(path, headers={"Accept": accept})
    assert first.status_code == 200 and first.headers["Content-Location"] and first.headers["Link"]
    for method in ("GET", "HEAD"):
        headers = {"Accept": accept, "If-None-Match": first.headers["ETag"]}
        queries, again = counted.during(lambda m=method, h=headers: client.open(path, method=m, headers=h))
        assert (again.status_code, queries) == (304, 0), method
        for name in ("Content-Location", "Link"):
            assert again.headers.get(name) == first.headers[name], (method, name)


def test_another_format_of_the_answer_is_not_a_match_before_the_view(app, monkeypatch):
    counted = Counted(app, monkeypatch)
    client = app.test_client()
    turtle = client.get("/doc/group/ttp", headers={"Accept": "text/turtle"}).headers["ETag"]
    queries, html = counted.during(
        lambda: client.get("/doc/group/ttp", headers={"Accept": "text/html", "If-None-Match": turtle})
    )
    assert html.status_code == 200 and html.mimetype == "text/html" and queries > 0


def test_a_tag_whose_flags_were_altered_is_not_answered_before_the_view(app, monkeypatch):
    """The flags after the key say what the 304 repeats; a client cannot make one say more: a flag
    the 200 did not carry is not this answer's tag (and an unknown flag waits for the rendered one)."""
    counted = Counted(app, monkeypatch)
    client = app.test_client()
    path = "/sparql?" + urlencode({"query": ASK})  # small: Vary Accept only, flag "a"
    etag = client.get(path).headers["ETag"]
    assert etag.endswith('.a"'), etag
    for altered in (etag.replace('.a"', '.ae"'), etag.replace('.a"', '.aq"'), etag.replace('.a"', '.aa"')):
        queries, response = counted.during(lambda a=altered: client.get(path, headers={"If-None-Match": a}))
        assert response.status_code == 200 and queries == 1, altered
        assert response.headers["ETag"] == etag and response.headers["Vary"] == "Accept"


def test_a_long_if_none_match_costs_one_hash_per_tag_of_this_release(app, monkeypatch):
    """Tags of other releases (or none) are passed over unhashed: a client cannot make the server
    hash thousands of tags per request; the answer's own tag among them still gets the 304."""
    from nexus_ld.web import caching

    client = app.test_client()
    etag = client.get("/doc/group/ttp.ttl").headers["ETag"]
    hashed = []
    tag = caching._tag
    monkeypatch.setattr(caching, "_tag", lambda *args: hashed.append(args) or tag(*args))
    junk = ", ".join(f'W/"other-{i}"' for i in range(2000))
    response = client.get("/doc/group/ttp.ttl", headers={"If-None-Match": f"{junk}, {etag}"})
    assert response.status_code == 304 and response.headers["ETag"] == etag
    assert len(hashed) <= 2  # the answer's tag (and none of the 2,000 others)


def test_an_answer_that_varies_on_what_no_flag_says_is_matched_only_after_its_view(built):
    """A Vary the flags cannot carry (here Cookie) marks the tag ``x``: its 304 is decided after the
    view, by the rendered answer, so that it repeats that Vary."""
    from flask import Response

    from nexus_ld.web import caching

    app = make_app(built)
    calls = []

    def varies() -> Response:
        calls.append(1)
        return Response("an answer that depends on a cookie", headers={"Vary": "Cookie"})

    app.add_url_rule("/varies", "varies", caching._before_view(varies))  # as init_app wraps every view
    client = app.test_client()
    first = client.get("/varies")
    assert first.headers["ETag"].endswith('.hx"'), first.headers["ETag"]
    again = client.get("/varies", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.headers["Vary"] == "Cookie" and len(calls) == 2
