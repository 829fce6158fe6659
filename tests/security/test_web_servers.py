"""The web layer's hardening (issue 11, findings 5 and 6), on the in-process client and on both real
servers: `nexus-ld serve` (threaded Werkzeug) and the documented gunicorn command.

- every answer carries nosniff, a Referrer-Policy and a CSP (pages: self only, never framed; data:
  nothing at all);
- no ``Server`` header names a version;
- no absolute URL is built from the Host / X-Forwarded-Host headers;
- malformed input (odd charsets, control characters and bad escapes in paths, hostile parameters
  and headers on every route) gets a 4xx with a message, never a 500.

Every request goes to 127.0.0.1; the loops are bounded tables.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import pytest
import rdflib
import requests

from nexus_ld.config import Settings
from tests.conftest import free_port, make_app, wait_until_responds
from tests.test_gunicorn import running_gunicorn

BASE = "https://w3id.org/nexus-ld/"
SD = rdflib.Namespace("http://www.w3.org/ns/sparql-service-description#")
HTML = {"Accept": "text/html"}
JSON = {"Accept": "application/json"}
PAGE_DIRECTIVES = (
    "default-src 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "object-src 'none'",
)
# No limits of count in the way of the tables below (each server gets a few hundred requests).
NO_LIMITS = {"rate_limit_per_minute": "0", "contribution_rate_per_minute": "0"}


@dataclass
class Answer:
    status: int
    headers: Mapping[str, str]  # case-insensitive
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


class Http:
    """One way to send a request: the Flask test client, or requests to a real server."""

    def __init__(self, name: str, url: str | None = None, app=None) -> None:  # noqa: ANN001 - Flask
        self.name, self.url, self.client = name, url, app.test_client() if app is not None else None

    def __call__(
        self, method: str, path: str, headers: Mapping[str, str] | None = None, data: bytes | None = None
    ) -> Answer:
        if self.client is not None:
            r = self.client.open(path, method=method, headers=dict(headers or {}), data=data)
            return Answer(r.status_code, r.headers, r.get_data())
        r = requests.request(
            method, self.url + path, headers=headers, data=data, allow_redirects=False, timeout=60
        )
        return Answer(r.status_code, r.headers, r.content)


@pytest.fixture(scope="module")
def in_process(built: Settings, tmp_path_factory: pytest.TempPathFactory) -> Http:
    inbox = tmp_path_factory.mktemp("inbox") / "contributions.sqlite"
    limits = {name: int(value) for name, value in NO_LIMITS.items()}
    return Http("app", app=make_app(built, inbox_path=str(inbox), **limits))


@pytest.fixture(scope="module")
def nexus_serve(built: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Http]:
    """`nexus-ld serve` as a user starts it (threaded Werkzeug), on a free 127.0.0.1 port."""
    port = free_port()
    folder = tmp_path_factory.mktemp("serve")
    args = [sys.executable, "-m", "nexus_ld"]
    for name, value in {
        "project_dir": str(built.project),
        "build_dir": str(built.build),
        "inbox_path": str(folder / "contributions.sqlite"),
        **NO_LIMITS,
    }.items():
        args += ["--setting", name, value]
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEXUS_LD_")}
    log = folder / "stderr.log"
    with open(log, "wb") as stderr:
        proc = subprocess.Popen([*args, "serve", "--port", str(port)], env=env, stderr=stderr)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_responds(url + "/healthz", 60, proc, log)
        yield Http("serve", url)
    finally:
        proc.terminate()
        proc.wait(20)


@pytest.fixture(scope="module")
def gunicorn(built: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Http]:
    """The README's gunicorn command (2 sync workers)."""
    with running_gunicorn(built, tmp_path_factory, **NO_LIMITS) as (url, _master):
        yield Http("gunicorn", url)


FIXTURES = {"app": "in_process", "serve": "nexus_serve", "gunicorn": "gunicorn"}


LIVE = pytest.mark.live  # a real server process on a port


@pytest.fixture(params=["app", pytest.param("serve", marks=LIVE), pytest.param("gunicorn", marks=LIVE)])
def http(request: pytest.FixtureRequest) -> Http:
    return request.getfixturevalue(FIXTURES[request.param])


@pytest.fixture(params=[pytest.param("serve", marks=LIVE), pytest.param("gunicorn", marks=LIVE)])
def real_server(request: pytest.FixtureRequest) -> Http:
    return request.getfixturevalue(FIXTURES[request.param])


# --- security headers ------------------------------------------------------------------------------

PAGES = [("/", HTML), ("/doc/group/ttp", HTML), ("/sparql", HTML), ("/network", HTML), ("/nowhere", HTML)]
DATA = [
    ("/doc/group/ttp.ttl", {}),
    ("/sparql?query=ASK%7B%7D", JSON),
    ("/network.json", JSON),
    ("/nowhere", JSON),
    ("/doc/%00", {}),
    ("/static/nexus.css", {}),
    ("/downloads/SHA256SUMS", {}),
]


def _csp(answer: Answer) -> dict[str, str]:
    policy = answer.headers.get("Content-Security-Policy", "")
    return {d.split()[0]: d for d in (part.strip() for part in policy.split(";")) if d}


def test_every_answer_carries_the_security_headers(http: Http):
    for path, headers in PAGES + DATA:
        answer = http("GET", path, headers)
        where = f"{http.name} {path} -> {answer.status}"
        assert answer.headers.get("X-Content-Type-Options") == "nosniff", where
        assert answer.headers.get("Referrer-Policy") == "same-origin", where
        csp = _csp(answer)
        if answer.headers["Content-Type"].startswith("text/html"):
            for directive in PAGE_DIRECTIVES:
                assert csp.get(directive.split()[0]) == directive, (where, csp)
            # No inline script may run: the pages keep theirs in static files.
            assert "'unsafe-inline'" not in answer.headers["Content-Security-Policy"], where
            assert "script-src" not in csp, where  # scripts fall back to default-src 'self'
        else:
            assert csp.get("default-src") == "default-src 'none'", (where, csp)
            assert csp.get("frame-ancestors") == "frame-ancestors 'none'", (where, csp)


def test_pages_hold_no_inline_script_or_style(in_process: Http):
    """What the CSP forbids is not in the pages either (JSON data blocks are not scripts)."""
    for path, headers in PAGES + [("/search?q=ttp", HTML), ("/timeline", HTML), ("/contribute", HTML)]:
        html = in_process("GET", path, headers).text
        scripts = re.findall(r"<script\b([^>]*)>", html)
        assert all("src=" in a or "application/ld+json" in a or "application/json" in a for a in scripts), (
            path,
            scripts,
        )
        assert not re.search(r"<style\b|\sstyle=|\son[a-z]+=", html, re.I), path


# --- the Server header ---------------------------------------------------------------------------


def test_the_server_header_names_no_version(real_server: Http):
    for path in ("/", "/sparql?query=ASK%7B%7D", "/nowhere", "/doc/%00"):
        server = real_server("GET", path).headers.get("Server", "")
        assert server, f"{real_server.name} sends a Server header"
        assert not re.search(r"\d|werkzeug|python", server, re.I), (real_server.name, server)


# --- the Host header -----------------------------------------------------------------------------

HOSTILE_HOST = {"Host": "evil.example", "X-Forwarded-Host": "evil2.example", "X-Forwarded-Proto": "gopher"}
HOST_PATHS = [
    ("/sparql", {"Accept": "text/turtle"}),
    ("/sparql", HTML),
    ("/contribute", HTML),
    ("/downloads", {}),  # Werkzeug's trailing-slash redirect
    ("/id/group/ttp", {}),  # 303 to the document
    ("/", HTML),
    ("/doc/group/ttp", HTML),
    ("/doc/group/ttp.ttl", {}),
    ("/void", {"Accept": "text/turtle"}),
    ("/void", HTML),
    ("/ontology", HTML),
    ("/downloads/", HTML),
    ("/search?q=ttp", HTML),
    ("/network", HTML),
    ("/nowhere", HTML),
]


def test_no_url_is_built_from_the_host_header(http: Http):
    for path, headers in HOST_PATHS:
        answer = http("GET", path, {**headers, **HOSTILE_HOST})
        where = f"{http.name} {path} -> {answer.status}"
        assert answer.status < 500, where
        assert "evil" not in answer.text and "gopher" not in answer.text, where
        echoed = {k: v for k, v in answer.headers.items() if "evil" in v or "gopher" in v}
        assert not echoed, (where, echoed)
    assert http("GET", "/downloads", HOSTILE_HOST).headers["Location"] == "/downloads/"


def test_the_service_description_names_the_canonical_endpoint(http: Http):
    answer = http("GET", "/sparql", {"Accept": "text/turtle", **HOSTILE_HOST})
    graph = rdflib.Graph().parse(data=answer.body, format="turtle")
    service = rdflib.URIRef(BASE + "sparql")  # from the `base` setting, as in the VoID
    assert (service, SD.endpoint, service) in graph
    ui = http("GET", "/sparql", {**HTML, **HOSTILE_HOST}).text
    assert 'data-endpoint="/sparql"' in ui  # the query UI asks the server that sent it


# --- malformed input: 4xx, never 500 -------------------------------------------------------------


def _post_query(http: Http, charset: str) -> Answer:
    headers = {"Content-Type": f"application/sparql-query; charset={charset}"}
    return http("POST", "/sparql", headers, b"ASK { }")


def test_a_query_body_in_another_charset_is_refused(http: Http):
    for charset in ("foo", "utf-16", "rot13", "unicode_escape", "latin-1"):
        answer = _post_query(http, charset)
        assert answer.status == 415, (http.name, charset, answer.status)
        assert "UTF-8" in answer.text and repr(charset) in answer.text
    for charset in ("utf-8", "UTF8", "us-ascii"):
        answer = _post_query(http, charset)
        assert answer.status == 200, (http.name, charset, answer.text)
    answer = http("POST", "/sparql", {"Content-Type": "application/sparql-query"}, b"ASK { \xff }")
    assert answer.status == 400 and "not UTF-8" in answer.text, (http.name, answer.text)


@pytest.mark.parametrize("path", ["/doc/%00", "/doc/%ff", "/id/%00", "/id/%ff", "/doc/a%01b", "/id/x%7F.ttl"])
def test_a_path_no_iri_can_hold_is_a_400(http: Http, path: str):
    answer = http("GET", path, HTML)
    assert answer.status == 400, (http.name, path, answer.status)
    assert "no resource has the path" in answer.text


def _routes(app) -> list[str]:  # noqa: ANN001 - Flask
    """A concrete GET path for every route of the app (converters filled in)."""
    paths = set()
    for rule in app.url_map.iter_rules():
        if "GET" in (rule.methods or ()):
            path = re.sub(r"<any\(([^,)]+)[^>]*>", r"\1", rule.rule)
            paths.add(re.sub(r"<[^>]+>", "x", path))
    return sorted(paths)


HOSTILE_QUERY = (
    "?page=%ff&format=%00&q=%ff%22(&year=-99999999999999999999&incoming=%ff&status=%00"
    "&kind=%ff&offset=-1&limit=99999999999999999999&agent=..%2f..%2f&undated=%ff&query=%ff&%ff=%ff"
)
HOSTILE_HEADERS = [
    {"Accept": "text/html;q=foo, */*;q=-1, application/json;level=%ff"},
    {"Accept": "application/json", "If-None-Match": '"' * 300, "If-Modified-Since": "yesterday"},
    {"Accept": "text/plain", "Range": "bytes=-1--1", "Accept-Charset": "foo", "Accept-Encoding": "x" * 500},
    {"Accept": "*/*", "Cookie": "session=" + "%ff" * 100, "Content-Type": "text/html; charset=foo"},
]
HOSTILE_PATHS = [
    "/doc/%c0%80",
    "/doc/a%0d%0aSet-Cookie:x",
    "/doc/" + "a" * 4000,
    "/doc/group/ttp.%00",
    "/doc/group/ttp.%ff",
    "/ontology.%ff",
    "/void.%00",
    "/downloads/%00",
    "/downloads/..%2f..%2fpyproject.toml",
    "/downloads/index.%ff",
    "/static/%00",
    "/static/..%2f..%2fweb%2fapp.py",
    "/contributions/%ff",
    "/contributions/" + "9" * 40,
    "/%ff",
    "/groups/%00",
]
FORM = "application/x-www-form-urlencoded"
HOSTILE_POSTS = [
    ("/sparql", {"Content-Type": "application/sparql-query; charset=foo"}, b"ASK {}"),
    ("/sparql", {"Content-Type": "application/sparql-query"}, b"\xff\xfe\x00"),
    ("/sparql", {"Content-Type": "application/x-www-form-urlencoded; charset=foo"}, b"query=%ff%00"),
    ("/sparql", {"Content-Type": "application/x-www-form-urlencoded"}, b"query=ASK%7B%7D&query=%ff"),
    ("/sparql", {"Content-Type": "multipart/form-data; boundary=x"}, b"--x\r\n\r\n--x--"),
    ("/sparql", {"Content-Type": "%ff/%00"}, b"x"),
    ("/validate", {"Content-Type": "text/turtle; charset=foo"}, b"<a> <b> <c> ."),
    ("/validate", {"Content-Type": "application/ld+json"}, b"\xff"),
    ("/contribute", {"Content-Type": "multipart/form-data; boundary=x"}, b"--x\r\n\r\n--x--"),
    ("/contribute", {"Content-Type": f"{FORM}; charset=foo"}, b"text=%ff&action=%00"),
    ("/contributions/%00/accept", {"Authorization": "Bearer %ff"}, b""),
    ("/contributions/x/reject", {"Authorization": "Basic \x7f"}, b""),
]


def test_no_malformed_request_reaches_a_500(http: Http, built: Settings):
    """A bounded table: every GET route with hostile parameters and headers, hostile paths, and
    hostile bodies on the POST routes (about 140 requests per server)."""
    requests_sent, failures = 0, []
    routes = _routes(make_app(built))
    cases = [("GET", path + HOSTILE_QUERY, headers, None) for path in routes for headers in HOSTILE_HEADERS]
    cases += [("GET", path, headers, None) for path in HOSTILE_PATHS for headers in HOSTILE_HEADERS[:2]]
    cases += [("POST", path, headers, body) for path, headers, body in HOSTILE_POSTS]
    for method, path, headers, body in cases:
        answer = http(method, path, headers, body)
        requests_sent += 1
        if answer.status >= 500:
            failures.append((method, path[:80], headers, answer.status, answer.text[:200]))
        elif answer.status >= 400:
            assert answer.body.strip(), (method, path, "a 4xx says why")
    assert requests_sent >= 120
    assert not failures, failures


RAW_TARGETS = [b"/doc/\xff", b"/doc/\x00", b"/doc/\xc0\x80", b"/id/\xe2\x80\xae", b"/sparql?query=\xff"]


def test_raw_bytes_in_the_request_line_get_a_4xx(real_server: Http):
    """Bytes no client library would send unescaped, written to the socket as they are."""
    host, port = real_server.url.removeprefix("http://").split(":")
    for target in RAW_TARGETS:
        with socket.create_connection((host, int(port)), timeout=30) as conn:
            conn.sendall(b"GET " + target + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            answer = b""
            while chunk := conn.recv(65536):
                answer += chunk
        status = int(answer.split(b" ", 2)[1])
        assert 400 <= status < 500, (real_server.name, target, answer[:300])
