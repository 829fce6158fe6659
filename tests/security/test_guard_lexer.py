"""Issue 11, findings 2, 3 and 6 (last item): the query guard's lexer read a name, a string or an escape
otherwise than pyoxigraph does, so SERVICE and deep nesting went past it unseen, and an unterminated
string cost it quadratic time. Each attack here passed ``guard.inspect`` before the rewrite."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from nexus_ld.errors import BadRequest, Forbidden
from nexus_ld.web.sparql.guard import Limits, inspect
from tests.conftest import LiveServer, make_app

LIMITS = Limits(max_query_bytes=100_000, max_nesting=64)
CLOSED = "http://127.0.0.1:9/"  # what the guard sees; never contacted by these unit checks

# Each character is legal inside a SPARQL name (PN_CHARS) but not matched by Python's \w.
EXOTIC = ["\u00b7", "\u0301", "\u200c", "\u203f"]


def hidden_service(char: str, endpoint: str = CLOSED) -> str:
    return (
        f"PREFIX group: <http://e/> SELECT * WHERE {{ BIND(group:x{char}\\# AS ?v) "
        f"SERVICE <{endpoint}> {{ ?s ?p ?o }} }}"
    )


@pytest.mark.parametrize("char", EXOTIC, ids=lambda c: f"U+{ord(c):04X}")
def test_service_behind_an_exotic_name_character_and_an_escape_is_refused(char):
    with pytest.raises(Forbidden, match="service_allowlist"):
        inspect(hidden_service(char), LIMITS)


@pytest.mark.parametrize(
    "query",
    [
        # pyoxigraph matches keywords with no word boundary: each of these reached a loopback canary.
        f"PREFIX ex: <{CLOSED}> SELECT * WHERE {{ SERVICEex:a {{ ?s ?p ?o }} }}",
        f"SELECT * WHERE {{ SERVICESILENT<{CLOSED}> {{ ?s ?p ?o }} }}",
        f"SELECT * WHERE {{ ?s ?p trueSERVICE <{CLOSED}> {{ }} }}",
        f"SELECT * WHERE {{ ?s ?p ?o . FALSEservice <{CLOSED}> {{ }} }}",
        # a \u escape inside a string is a quote to a guard that decodes first, a character to pyoxigraph
        f'SELECT * WHERE {{ BIND("\\u0022" AS ?x) SERVICE <{CLOSED}> {{ }} BIND("\\u0022" AS ?y) }}',
    ],
)
def test_glued_keywords_and_escaped_quotes_do_not_hide_service(query):
    with pytest.raises(Forbidden, match="service_allowlist"):
        inspect(query, LIMITS)


def test_the_endpoint_pyoxigraph_calls_is_the_one_checked_against_the_allowlist():
    allow = Limits(100_000, 64, frozenset({"http://ok.example/a"}))
    # pyoxigraph reads SILENT then `:a`, not the name `SILENT:a`; a glued PREFIX still declares.
    for query in [
        f"PREFIX SILENT: <http://ok.example/> PREFIX : <{CLOSED}> SELECT * {{ SERVICE SILENT:a {{ }} }}",
        f"PREFIX ex: <http://ok.example/> PREFIXex:<{CLOSED}> SELECT * {{ SERVICE ex:a {{ }} }}",
    ]:
        with pytest.raises(Forbidden, match="service_allowlist"):
            inspect(query, allow)
    assert inspect("PREFIX ex: <http://ok.example/> SELECT * { SERVICE ex:a { } }", allow).services == (
        "http://ok.example/a",
    )


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * WHERE { ?s ?p ?o \\# }",
        "SELECT * WHERE { ?s\\#x ?p ?o }",
        "SELECT * WHERE { ?s ?p ex:a\\b }",
        "SELECT * WHERE { \\ }",
    ],
)
def test_a_backslash_outside_strings_and_name_escapes_is_refused(query):
    with pytest.raises(BadRequest, match="backslash"):
        inspect(query, LIMITS)


@pytest.mark.parametrize(
    "query",
    ['SELECT * WHERE { ?s ?p "open }', "SELECT * WHERE { ?s ?p '''open }", "SELECT * { ?s ?p 'a\\z' }"],
)
def test_an_unterminated_string_is_refused_at_once(query):
    with pytest.raises(BadRequest, match="string"):
        inspect(query, LIMITS)


def test_names_with_exotic_characters_and_escapes_still_pass():
    query = (
        "PREFIX ex: <http://e/> SELECT ?v\u00b7x WHERE { ?s ex:a\u0301b\\#c\\.d.e%20 ?v\u00b7x ; "
        "ex:p _:b\u203fc . ?v\u00b7x ex:q 'it\\'s'@en-GB }"
    )
    assert inspect(query, LIMITS).form == "SELECT"


def test_nesting_hidden_behind_an_exotic_name_is_counted():
    """Finding 6: pyoxigraph's parser overflowed its stack on nesting the guard did not see."""
    deep = "{" * 70 + "}" * 70
    with pytest.raises(BadRequest, match="max_nesting"):
        inspect(f"PREFIX g: <http://e/> SELECT * WHERE {{ BIND(g:x\u00b7\\# AS ?v) {deep} }}", LIMITS)


def test_nesting_inside_what_may_be_an_iri_or_two_comparisons_is_counted():
    # `1<((…2))&&3>2` is two comparisons to pyoxigraph, and looks like the IRI <((…2))&&3> to a lexer.
    parens = "(" * 70 + "2" + ")" * 70
    with pytest.raises(BadRequest, match="max_nesting"):
        inspect(f"SELECT * WHERE {{ FILTER(1<{parens}&&3>2) }}", LIMITS)
    iri = "<http://dbpedia.org/resource/A_(b)>"
    assert inspect("SELECT * WHERE { ?s ?p " + ", ".join([iri] * 100) + " }", LIMITS).form == "SELECT"


# --- linear time: inputs of the size the endpoint accepts, each in a subprocess with a hard timeout --

ADVERSARIAL = {
    "escaped quotes in an open string": '"' + '\\"' * 49_000,
    "escaped quotes in an open long string": '"""' + '\\"' * 49_000,
    "open IRIs": "<a" * 49_000,
    "dotted names": "a." * 49_000,
    "dotted prefixed names": "a:b." * 24_500,
    "quotes": "''" * 49_000,
    "long-string openers": "'''\\'" * 19_600,
    "comments": "#\n" * 49_000,
    "open IRIs with brackets": "<(" * 49_000,
    "a run of dots after a name": "g:a" + "." * 98_000,
    "normal": "SELECT * WHERE { ?s ?p ?o } # " + "x" * 98_000,
}


@pytest.mark.live
@pytest.mark.parametrize("name", list(ADVERSARIAL))
def test_the_lexer_finishes_a_98_kb_adversarial_input(name):
    """Fails only by the hard timeout: the old lexer took ~30 s on the first input (linear: well < 1 s)."""
    script = (
        "import sys; from nexus_ld.web.sparql.guard import Limits, inspect\n"
        "try: inspect(sys.stdin.read(), Limits(200_000, 64))\n"
        "except Exception as e: print(type(e).__name__)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], input=ADVERSARIAL[name], capture_output=True, text=True, timeout=20
    )
    assert done.returncode == 0, done.stderr


# --- over real HTTP: the hidden SERVICE never reaches a loopback canary ---------------------------


class _Canary(BaseHTTPRequestHandler):
    hits: list[str] = []

    def _record(self) -> None:
        self.hits.append(self.path)
        self.send_response(500)
        self.end_headers()

    do_GET = do_POST = _record

    def log_message(self, *args) -> None:
        pass


@pytest.fixture()
def canary() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Canary)
    _Canary.hits = []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def on_every_transport(url: str, query: str) -> list[requests.Response]:
    return [
        requests.get(url, params={"query": query}, timeout=30),
        requests.post(url, data={"query": query}, timeout=30),
        requests.post(
            url, data=query.encode(), headers={"Content-Type": "application/sparql-query"}, timeout=30
        ),
    ]


@pytest.mark.live
def test_hidden_service_and_hidden_nesting_are_refused_over_http_and_never_call_out(built, canary):
    # The nesting is what overflowed pyoxigraph's parser stack (finding 6): here 20,000 levels.
    nesting = (
        "PREFIX g: <http://e/> SELECT * WHERE { BIND(g:x\u00b7\\# AS ?v) "
        + "{" * 20_000
        + "}" * 20_000
        + " }"
    )
    with LiveServer(make_app(built, rate_limit_per_minute=0)) as live:
        services = on_every_transport(live.url + "/sparql", hidden_service("\u00b7", canary))
        nested = on_every_transport(live.url + "/sparql", nesting)[1:]  # too long for a GET's URL
        health = requests.get(live.url + "/healthz", timeout=10)
    assert [a.status_code for a in services] == [403, 403, 403], [a.text for a in services]
    assert _Canary.hits == []
    assert [a.status_code for a in nested] == [400, 400], [a.text for a in nested]
    assert all("max_nesting" in a.text for a in nested)
    assert health.json() == {"status": "ok"}
