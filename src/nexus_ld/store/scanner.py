"""The one SPARQL text scanner: the terminals of the SPARQL 1.1 grammar (Query §19.8: PN_CHARS,
PN_PREFIX, PN_LOCAL with its escapes, VARNAME, BLANK_NODE_LABEL, IRIREF, the four string forms with
ECHAR, LANGTAG, numbers, comments), read as pyoxigraph reads them, in one linear pass.

Strings, IRIs and comments come out whole, so a keyword or brace inside them never counts. Two
readers use it: the endpoint's guard (``web/sparql/guard.py``: query form, SERVICE, nesting) and the
value binding (``binding.where_clauses``: where bound values go).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from nexus_ld.errors import BadRequest

# §19.8 character classes, as regex class bodies.
_PN_CHARS_BASE = (
    "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u02ff\u0370-\u037d\u037f-\u1fff\u200c-\u200d"
    "\u2070-\u218f\u2c00-\u2fef\u3001-\ud7ff\uf900-\ufdcf\ufdf0-\ufffd\U00010000-\U000effff"
)
_PN_CHARS_U = _PN_CHARS_BASE + "_"
_VARNAME_REST = _PN_CHARS_U + "0-9\u00b7\u0300-\u036f\u203f-\u2040"
_PN_CHARS = _VARNAME_REST + r"\-"
_PLX = r"%[0-9A-Fa-f]{2}|\\[_~.\-!$&'()*+,;=/?#@%]"  # PERCENT | PN_LOCAL_ESC
# ECHAR, and UCHAR: pyoxigraph reads \u escapes inside strings and IRIs only (not in a pre-pass).
_ESCAPE = r"\\[tbnrf\"'\\]|\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8}"

# One group per terminal, tried in this order. Every repetition is possessive (*+, ++) so no match
# is retried from inside, and the two errors swallow the rest of the text, so the scan stops there:
# one linear pass whatever the input.
_STRINGS = (
    # A triple quote opens a long string or nothing (never an empty string then a short one).
    rf"'''(?:(?:''|')?+(?:[^'\\]|{_ESCAPE}))*+'''"
    rf'|"""(?:(?:""|")?+(?:[^"\\]|{_ESCAPE}))*+"""'
    rf"|(?!''')'(?:[^'\\\r\n]|{_ESCAPE})*+'"
    rf'|(?!""")"(?:[^"\\\r\n]|{_ESCAPE})*+"'
)
_TERMINALS = {  # the most frequent first; no two match at the same place but as the comments say
    "ws": r"[ \t\r\n]++",  # WS is these four only
    "var": rf"[?$][{_PN_CHARS_U}0-9][{_VARNAME_REST}]*+",
    "word": rf"[{_PN_CHARS_U}][{_PN_CHARS}]*+(?![{_PN_CHARS}.:])",  # else a pname or a dotted run
    # PN_PREFIX, PN_LOCAL and BLANK_NODE_LABEL may hold dots but not end with one: a run of dots is
    # taken only when a name character follows it.
    "pname": rf"(?:[{_PN_CHARS_BASE}](?:[{_PN_CHARS}]|\.++(?=[{_PN_CHARS}]))*+)?:"
    rf"(?:(?:[{_PN_CHARS_U}:0-9]|{_PLX})(?:[{_PN_CHARS}:]|{_PLX}|\.++(?=[{_PN_CHARS}:]|{_PLX}))*+)?",
    "iri": r"<(?:[^<>\"{}|^`\\\x00-\x20]|\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8})*+>",  # before `<<`
    "string": _STRINGS,
    "open_string": r"['\"].*",
    "comment": r"\#[^\r\n]*+",
    "bnode": rf"_:[{_PN_CHARS_U}0-9](?:[{_PN_CHARS}]|\.++(?=[{_PN_CHARS}]))*+",
    # A dotted run that is no prefixed name is taken whole (else each word in it would be tried as a
    # prefix again, to the end of the run), then split into words and dots.
    "dotted": rf"[{_PN_CHARS_U}][{_PN_CHARS}.]*+",
    "number": r"[0-9]*+\.[0-9]++(?:[eE][+-]?[0-9]++)?|[0-9]++(?:\.[0-9]*+)?(?:[eE][+-]?[0-9]++)?",
    "langtag": r"@[a-zA-Z]++(?:-[a-zA-Z0-9]++)*+",
    "backslash": r"\\.*",
    "punct": r"<<|>>|.",  # last: any other character
}
_LEXER = re.compile("|".join(f"(?P<{kind}>{pattern})" for kind, pattern in _TERMINALS.items()), re.DOTALL)
_SKIPPED = frozenset({"ws", "comment"})
# (kind, text, start): kind is a name of _TERMINALS (not ws, comment, dotted, nor the two errors, which
# raise); start is the offset in the text, for a caller that edits it. Plain tuples: every request's
# query is lexed.
Token = tuple[str, str, int]
NAMES = frozenset({"word", "pname"})


def _where(text: str, pos: int) -> str:
    line = text.count("\n", 0, pos) + 1
    return f"line {line}, column {pos - text.rfind(chr(10), 0, pos)}"


def tokens(text: str) -> list[Token]:
    """The significant terminals of ``text`` in order (whitespace and comments dropped), in one pass.

    :raises BadRequest: a backslash outside strings and prefixed-name escapes, or a string that does not
        close (on its line, for the short forms) or holds an escape SPARQL does not define.
    """
    # lastgroup is never None: `punct` matches any character
    toks = [(m.lastgroup or "punct", m.group(), m.start()) for m in _LEXER.finditer(text)]
    toks = [tok for tok in toks if tok[0] not in _SKIPPED]
    kind, _, start = toks[-1] if toks else ("", "", 0)
    if kind == "backslash":
        raise BadRequest(
            f"the query has a backslash at {_where(text, start)} outside any string: SPARQL allows "
            "one only in strings and in prefixed-name escapes such as ex:a\\.b"
        )
    if kind == "open_string":
        raise BadRequest(
            f"the string opened at {_where(text, start)} does not close (a '…' or \"…\" string must "
            "close on its line) or holds an escape SPARQL does not define (it has \\t \\b \\n \\r \\f "
            "\\\" \\' \\\\ \\uXXXX \\UXXXXXXXX)"
        )
    if any(kind == "dotted" for kind, _, _ in toks):
        toks = [part for token in toks for part in _split_dotted(token)]
    return toks


def _split_dotted(token: Token) -> Iterator[Token]:
    """A run like `true.SERVICE` is words and dots (no keyword holds a dot)."""
    kind, text, start = token
    if kind != "dotted":
        yield token
        return
    for part in re.split(r"(\.)", text):
        if part:
            yield ("punct" if part == "." else "word", part, start)
            start += len(part)
