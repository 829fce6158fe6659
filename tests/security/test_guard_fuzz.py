"""Issue 11: the query guard against pyoxigraph's own parser, on generated queries that hide SERVICE, updates
and deep nesting behind exotic name characters, escapes, comments, strings and keywords glued together.

pyoxigraph is the judge of what a text does, by running it on a throwaway in-memory store:
- it calls SERVICE when a loopback canary receives a request;
- it runs an update when the store changes (or LOAD reaches the canary);
- it nests deeper than ``max_nesting`` when a marker bound at the deepest level comes back.
Whenever it does, ``guard.inspect`` must have refused the text. Bounded: a few hundred examples,
no deadline per example, well under a minute in all.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pyoxigraph as ox
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from nexus_ld.errors import BadRequest, Forbidden, PayloadTooLarge
from nexus_ld.web.sparql.guard import Limits, inspect

MAX_NESTING = 6
LIMITS = Limits(max_query_bytes=100_000, max_nesting=MAX_NESTING)
FUZZ = settings(max_examples=300, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])

# Pieces of names a lexer may misread: PN_CHARS outside Python's \w (U+00B7, combining marks, U+200C/D,
# U+203F/2040), other PN_CHARS_BASE, name escapes (\# above all), percent escapes; then characters
# that open comments, strings or IRIs, stray or escaped backslashes, \u escapes (some of them quotes).
NAME_FIRST = st.sampled_from(["a", "S", "_", "0", ":", "\u00e9", "\u200c", "\u0416", "%20", "\\#", "\\."])
EXOTIC = st.sampled_from(["\u00b7", "\u0300", "\u0301", "\u036f", "\u203f", "\u2040", "\u200d", ""])
NAME_REST = st.sampled_from(["b", "E", "-", ".", ":", "%41", "\\#", "\\.", "\\'", "\\~"])
TRICKS = st.sampled_from(
    ["#", "'", '"', "'''", '"""', "\\", "\\u0022", "\\u0027", "\\u0023", "\\U00000022", "\\u0053", "<", ">"]
    + ["%zz", "\\\\", '\\"']
)
LINE_ENDS = st.sampled_from(["\n", "\r", "\u2028", "\x85", "\x0b", " "])
SEPARATORS = st.sampled_from(["", " ", " ", " ", "\n", "\t", " # a comment\n", "\r"])


def case(word: str) -> st.SearchStrategy[str]:
    """``word`` in a random mix of upper and lower case (SPARQL keywords ignore case)."""
    return st.lists(st.booleans(), min_size=len(word), max_size=len(word)).map(
        lambda flags: "".join(c.lower() if low else c for c, low in zip(word, flags, strict=True))
    )


@st.composite
def names(draw: st.DrawFn) -> str:
    """A prefixed name of the declared prefix ``g``: an exotic character then an escape, mostly valid."""
    pieces = [
        draw(NAME_FIRST),
        draw(NAME_REST),
        draw(EXOTIC),
        draw(NAME_REST),
        draw(st.sampled_from(["\\#", ""])),
    ]
    if draw(st.integers(0, 3)) == 0:
        pieces.insert(draw(st.integers(1, len(pieces))), draw(TRICKS))
    return "g:" + "".join(pieces)


@st.composite
def strings(draw: st.DrawFn) -> str:
    quote = draw(st.sampled_from(["'", '"', "'''", '"""']))
    inside = draw(st.lists(st.one_of(TRICKS, NAME_REST, EXOTIC, LINE_ENDS), max_size=5))
    return quote + "".join(inside) + quote


@st.composite
def iris(draw: st.DrawFn) -> str:
    inside = draw(st.lists(st.one_of(st.sampled_from(["a", "(", ")", "?x", "&&", "/"]), TRICKS), max_size=5))
    return "<http://e/" + "".join(inside) + ">"


TERMS = st.one_of(names(), strings(), iris(), st.sampled_from(["1", "1.5e0", "true", "false"]))


@st.composite
def decoys(draw: st.DrawFn) -> str:
    """Pattern elements to put before the payload: BINDs of tricky terms, comments, plain triples."""
    items = []
    kinds = st.sampled_from(["bind", "bind", "comment", "triple"])
    for i, kind in enumerate(draw(st.lists(kinds, min_size=1, max_size=3))):
        if kind == "bind":
            items.append(f"BIND({draw(TERMS)} AS ?v{i})")
        elif kind == "comment":
            items.append("#" + "".join(draw(st.lists(st.one_of(TRICKS, NAME_REST, EXOTIC), max_size=4))))
            items.append(draw(LINE_ENDS))
        else:
            items.append(f"?s{i} ?p{i} {draw(TERMS)} .")
    return draw(SEPARATORS).join(items)


PROLOGUE = "PREFIX g: <http://e/>\n"


# --- the judge: pyoxigraph on a throwaway store, and a loopback canary ----------------------------


class _Canary(BaseHTTPRequestHandler):
    hits = 0

    def _record(self) -> None:
        type(self).hits += 1
        self.send_response(500)
        self.end_headers()

    do_GET = do_POST = _record

    def log_message(self, *args) -> None:
        pass


@pytest.fixture(scope="module")
def canary() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Canary)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/sparql"
    server.shutdown()
    server.server_close()


def guard_refuses(text: str) -> bool:
    try:
        inspect(text, LIMITS)
    except (BadRequest, Forbidden, PayloadTooLarge):
        return True
    return False


def run_query(text: str) -> list[ox.QuerySolution] | None:
    """The solutions pyoxigraph gives on an empty store (None: it does not parse or run the text)."""
    try:
        result = ox.Store().query(text)
        return list(result) if isinstance(result, ox.QuerySolutions) else []
    except (SyntaxError, OSError, RuntimeError, ValueError):
        return None


def calls_out(text: str) -> bool:
    before = _Canary.hits
    run_query(text)
    return _Canary.hits > before


def one_triple_store() -> ox.Store:
    store = ox.Store()
    store.add(ox.Quad(ox.NamedNode("urn:a"), ox.NamedNode("urn:b"), ox.NamedNode("urn:c")))
    return store


def updates_something(text: str) -> bool:
    """pyoxigraph runs ``text`` as an update that changes a one-triple store or loads from the canary."""
    store, before = one_triple_store(), _Canary.hits
    try:
        store.update(text)
    except (SyntaxError, OSError, RuntimeError, ValueError):
        return _Canary.hits > before
    return (
        _Canary.hits > before
        or [str(q) for q in store] != ["<urn:a> <urn:b> <urn:c>"]
        or any(True for _ in store.named_graphs())
    )


# --- the properties -------------------------------------------------------------------------------


@st.composite
def service_queries(draw: st.DrawFn, endpoint: str) -> str:
    keyword = draw(case("SERVICE"))
    if draw(st.booleans()):
        keyword += draw(st.sampled_from(["", " "])) + draw(case("SILENT"))
    target = draw(st.sampled_from([f"<{endpoint}>", "c:x", "c:"]))
    before = draw(st.sampled_from(["", " ", "\n", ".", " ?s ?p true", " ?s ?p false", " ?s ?p 1"]))
    glue = draw(st.sampled_from(["", " "]))
    return (
        f"{PROLOGUE}PREFIX c: <{endpoint}>\nSELECT * WHERE {{ {draw(decoys())}{before}{glue}"
        f"{keyword}{draw(st.sampled_from(['', ' ']))}{target} {{ }} }}"
    )


@FUZZ
@given(data=st.data())
def test_every_service_call_pyoxigraph_makes_is_refused_by_the_guard(canary, data):
    text = data.draw(service_queries(canary))
    called = calls_out(text)
    event(f"pyoxigraph calls SERVICE: {called}")  # shown by --hypothesis-show-statistics
    if called:
        assert guard_refuses(text), text


UPDATES = [
    "INSERT DATA { <urn:x> <urn:y> <urn:z> }",
    "DELETE DATA { <urn:a> <urn:b> <urn:c> }",
    "DELETE WHERE { ?s ?p ?o }",
    "INSERT { ?s ?p 1 } WHERE { ?s ?p ?o }",
    "WITH <urn:g> INSERT { ?s ?p 1 } WHERE { }",
    "LOAD SILENT <{canary}>",
    "CLEAR ALL",
    "DROP DEFAULT",
    "CREATE GRAPH <urn:g>",
    "ADD DEFAULT TO <urn:g>",
    "MOVE DEFAULT TO <urn:g>",
    "COPY SILENT DEFAULT TO <urn:g>",
]


@st.composite
def update_texts(draw: st.DrawFn, endpoint: str) -> str:
    words = draw(st.sampled_from(UPDATES)).replace("{canary}", endpoint).split(" ")
    # Keywords in any case, glued to their neighbours or not; a \u escape or two; a prologue or a decoy.
    body = ""
    for word in words:
        word = draw(case(word)) if word.isalpha() else word
        if word[:1].isalpha() and draw(st.integers(0, 9)) == 0:
            word = f"\\u{ord(word[0]):04X}{word[1:]}"
        body += draw(st.sampled_from(["", " ", " ", "\n"])) + word
    head = draw(
        st.sampled_from([PROLOGUE, "PREFIXg:<http://e/>", "BASE <http://e/>", "", "# " + draw(NAME_REST)])
    )
    comment = "# " + "".join(draw(st.lists(st.one_of(TRICKS, NAME_REST, EXOTIC), max_size=4)))
    return head + draw(st.sampled_from(["", "\n", comment + draw(LINE_ENDS)])) + body


@FUZZ
@given(data=st.data())
def test_every_update_pyoxigraph_runs_is_refused_by_the_guard(canary, data):
    text = data.draw(update_texts(canary))
    updated = updates_something(text)
    event(f"pyoxigraph runs an update: {updated}")
    if updated:
        assert guard_refuses(text), text


@st.composite
def nested_queries(draw: st.DrawFn) -> tuple[str, int]:
    """A query binding ?d at the deepest level of k groups and m parentheses, after decoys."""
    braces, parens = draw(st.integers(0, 8)), draw(st.integers(0, 8))
    text = (
        f"{PROLOGUE}SELECT ?d WHERE {{ {draw(decoys())}{draw(SEPARATORS)}"
        + "{" * braces
        + " BIND("
        + "(" * parens
        + "'deep'"
        + ")" * parens
        + " AS ?d) "
        + "}" * braces
        + " }"
    )
    return text, 1 + braces + 1 + parens  # WHERE's brace, the groups, BIND's parenthesis, the rest


@FUZZ
@given(query=nested_queries())
def test_every_nesting_pyoxigraph_reaches_beyond_the_limit_is_refused_by_the_guard(query):
    text, depth = query
    solutions = run_query(text)
    reached = any(s["d"] == ox.Literal("deep") for s in solutions or [])
    event(f"pyoxigraph reaches depth > max_nesting: {reached and depth > MAX_NESTING}")
    if reached and depth > MAX_NESTING:
        assert guard_refuses(text), text
