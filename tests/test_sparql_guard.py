"""The query guard on its own: what it refuses and what it lets through (keywords inside strings,
IRIs and comments never count)."""

from __future__ import annotations

import pytest

from nexus_ld.errors import BadRequest, Forbidden, PayloadTooLarge
from nexus_ld.store.scanner import tokens
from nexus_ld.web.sparql.guard import Limits, inspect, unescape_codepoints

LIMITS = Limits(
    max_query_bytes=10_000, max_nesting=8, service_allowlist=frozenset({"http://ok.example/sparql"})
)


@pytest.mark.parametrize(
    ("query", "form", "has_dataset"),
    [
        ("SELECT * WHERE { ?s ?p ?o }", "SELECT", False),
        (
            "PREFIX ex: <http://e/>\nBASE <http://b/>\nconstruct { ?s ?p ?o } where { ?s ?p ?o }",
            "CONSTRUCT",
            False,
        ),
        ("# INSERT in a comment\nASK { ?s ?p 'DELETE WHERE { }' }", "ASK", False),
        ("DESCRIBE <http://e/insert/load/clear>", "DESCRIBE", False),
        ("SELECT ?insert ?drop WHERE { ?insert ex:delete ?drop }", "SELECT", False),
        ('SELECT * WHERE { ?s ?p """multi\nline INSERT "quoted" LOAD""" }', "SELECT", False),
        ("SELECT * FROM <http://e/g> WHERE { ?s ?p ?o }", "SELECT", True),
        ("SELECT * FROM NAMED <http://e/g> WHERE { GRAPH ?g { ?s ?p ?o } }", "SELECT", True),
        ("SELEC * WHERE {}", None, False),  # not a query form: the parser will say why
    ],
)
def test_queries_pass_and_are_described(query, form, has_dataset):
    info = inspect(query, LIMITS)
    assert (info.form, info.has_dataset) == (form, has_dataset)


@pytest.mark.parametrize(
    "update",
    [
        "INSERT DATA { <a:a> <a:b> <a:c> }",
        "PREFIX ex: <http://e/> delete where { ?s ex:p ?o }",
        "WITH <http://e/g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }",
        "load <http://e/x>",
        "CLEAR DEFAULT",
        "DROP ALL",
        "CREATE GRAPH <http://e/g>",
        "ADD DEFAULT TO <http://e/g>",
        "MOVE <http://e/a> TO <http://e/b>",
        "COPY <http://e/a> TO <http://e/b>",
        "SELECT * WHERE { ?s ?p ?o } ; INSERT DATA { <a:a> <a:b> <a:c> }",
        "\\u0049NSERT DATA { <a:a> <a:b> <a:c> }",
    ],
)
def test_updates_are_refused(update):
    with pytest.raises(Forbidden, match="read-only"):
        inspect(update, LIMITS)


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * WHERE { SERVICE <http://evil.example/sparql> { ?s ?p ?o } }",
        "SELECT * WHERE { SERVICE SILENT <http://evil.example/sparql> { ?s ?p ?o } }",
        "PREFIX x: <http://evil.example/> SELECT * WHERE { SERVICE x:sparql { ?s ?p ?o } }",
        "SELECT * WHERE { SERVICE ?endpoint { ?s ?p ?o } }",
        "SELECT * WHERE { SERVICE <relative> { ?s ?p ?o } }",
        "SELECT * WHERE { \\u0053ERVICE <http://evil.example/sparql> { ?s ?p ?o } }",
        "SELECT * WHERE { \\U00000053ERVICE <http://evil.example/sparql> { ?s ?p ?o } }",
    ],
)
def test_service_outside_the_allowlist_is_refused(query):
    with pytest.raises(Forbidden, match="service_allowlist"):
        inspect(query, LIMITS)


def test_allowlisted_service_passes_also_through_a_prefix():
    assert inspect("SELECT * { SERVICE <http://ok.example/sparql> { ?s ?p ?o } }", LIMITS).services == (
        "http://ok.example/sparql",
    )
    query = "SELECT * { SERVICE ok:sparql { ?s ?p ?o } }"
    assert inspect(query, LIMITS, {"ok": "http://ok.example/"}).services == ("http://ok.example/sparql",)


def test_service_inside_strings_or_iris_is_not_a_call():
    assert inspect("SELECT * { ?s <http://e/SERVICE> 'SERVICE <http://evil/>' }", LIMITS).services == ()


def test_nesting_counts_every_bracket_kind_but_not_inside_strings():
    assert inspect("SELECT * WHERE " + "{" * 8 + "?s ?p ?o" + "}" * 8, LIMITS).form == "SELECT"
    for deep in ("SELECT * WHERE " + "{" * 9 + "}" * 9, "SELECT (" + "(" * 9 + "1" + ")" * 9 + " AS ?x) {}"):
        with pytest.raises(BadRequest, match="max_nesting"):
            inspect(deep, LIMITS)
    assert inspect("SELECT * WHERE { ?s ?p '" + "{" * 50 + "' }", LIMITS).form == "SELECT"


def test_size_limit_counts_utf8_bytes():
    with pytest.raises(PayloadTooLarge, match="max_query_bytes"):
        inspect("SELECT * WHERE { ?s ?p 'é' } #" + "é" * 5000, LIMITS)


def test_codepoint_escapes_are_decoded_as_the_parser_does():
    assert unescape_codepoints("\\u0053ELECT \\U0001F600") == "SELECT \U0001f600"
    assert unescape_codepoints("no escapes") == "no escapes"


def test_tokens_follow_the_sparql_terminals_and_give_offsets():
    """The scanner another caller (binding.py's where_clauses) can share: kinds, exact texts, offsets."""
    text = (
        "SELECT ?v\u00b7x { ?s ex:a\u0301\\#b. 'it''s' # c\n <<?s :p 1.5e0>> \"x\"@en-GB _:b1 true.SERVICE }"
    )
    assert tokens(text) == [
        ("word", "SELECT", 0),
        ("var", "?v\u00b7x", 7),
        ("punct", "{", 12),
        ("var", "?s", 14),
        ("pname", "ex:a\u0301\\#b", 17),
        ("punct", ".", 25),
        ("string", "'it'", 27),
        ("string", "'s'", 31),
        ("punct", "<<", 40),
        ("var", "?s", 42),
        ("pname", ":p", 45),
        ("number", "1.5e0", 48),
        ("punct", ">>", 53),
        ("string", '"x"', 56),
        ("langtag", "@en-GB", 59),
        ("bnode", "_:b1", 66),
        ("word", "true", 71),
        ("punct", ".", 75),
        ("word", "SERVICE", 76),
        ("punct", "}", 84),
    ]
    assert all(text[start : start + len(token)] == token for _, token, start in tokens(text))
