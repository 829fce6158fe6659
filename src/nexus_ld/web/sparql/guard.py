"""Inspect a SPARQL request text before it reaches the store: size, nesting, updates, SERVICE.

A lexer that follows the terminals of the SPARQL 1.1 grammar (Query §19.8: PN_CHARS, PN_PREFIX,
PN_LOCAL with its escapes, VARNAME, BLANK_NODE_LABEL, IRIREF, the four string forms with ECHAR,
LANGTAG, numbers, comments) finds the query form, the dataset clauses and every ``SERVICE`` call;
strings, IRIs and comments are skipped whole, so a keyword inside them never counts. It is not a
parser: the store's own parser still judges the syntax; this only refuses, early and with a message
naming the setting, what the endpoint never runs (issue 4: read-only, no contact with other hosts, no
parser crash). Issue 11: it reads names, escapes and glued keywords as pyoxigraph does (checked against
pyoxigraph by tests/security/test_guard_fuzz.py), in one linear pass, and refuses what it cannot read
the same way (a backslash outside strings and name escapes, a string that does not close).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from nexus_ld.config import Settings
from nexus_ld.errors import BadRequest, Forbidden, PayloadTooLarge
from nexus_ld.store.scanner import NAMES, Token, tokens

QUERY_FORMS = ("SELECT", "CONSTRUCT", "DESCRIBE", "ASK")
# Every SPARQL 1.1 Update operation starts with, or contains, one of these words; none is a query keyword.
UPDATE_WORDS = frozenset(
    {"INSERT", "DELETE", "LOAD", "CLEAR", "DROP", "CREATE", "ADD", "MOVE", "COPY", "WITH"}
)
OPENERS = {"{": "}", "(": ")", "[": "]", "<<": ">>"}

# SPARQL 1.1 Query §19.2: \u and \U escapes are replaced before parsing, anywhere in the text. A
# parser that does so (a remote store may) reads `\u0053ERVICE` as SERVICE: the guard checks that
# reading too, besides pyoxigraph's.
_CODEPOINT = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")
# pyoxigraph matches keywords with no word boundary: `SERVICEex:a`, `trueSERVICE <…>` and
# `SERVICESILENT<…>` are all SERVICE calls to it.
_SERVICE = re.compile(r"(?:TRUE|FALSE)?SERVICE(?:SILENT)?", re.IGNORECASE)
_NAME_ESCAPE = re.compile(r"\\(.)")


@dataclass(frozen=True)
class QueryInfo:
    """What the guard learnt about an accepted query."""

    form: str | None  # SELECT, CONSTRUCT, DESCRIBE, ASK; None when the text has no query form
    has_dataset: bool  # FROM / FROM NAMED present: then the query chooses its own default graph
    services: tuple[str, ...] = field(default=())  # allow-listed endpoints it calls

    @property
    def returns_graph(self) -> bool:
        return self.form in ("CONSTRUCT", "DESCRIBE")


@dataclass(frozen=True)
class Limits:
    """The guard's settings (``max_query_bytes``, ``max_nesting``, ``service_allowlist``)."""

    max_query_bytes: int
    max_nesting: int
    service_allowlist: frozenset[str] = frozenset()

    @classmethod
    def from_settings(cls, settings: Settings) -> Limits:
        allow = settings.service_allowlist.split(",")
        return cls(
            settings.max_query_bytes,
            settings.max_nesting,
            frozenset(iri.strip() for iri in allow if iri.strip()),
        )


def unescape_codepoints(text: str) -> str:
    """Replace ``\\uXXXX`` / ``\\UXXXXXXXX`` escapes everywhere, as SPARQL 1.1 §19.2 has a parser do
    before parsing (pyoxigraph 0.5 reads them only inside strings and IRIs)."""
    if "\\u" not in text and "\\U" not in text:
        return text

    def repl(m: re.Match[str]) -> str:
        code = int(m.group(1) or m.group(2), 16)
        return chr(code) if code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF else m.group(0)

    return _CODEPOINT.sub(repl, text)


def check_size(text: str, limits: Limits) -> None:
    """Raises PayloadTooLarge past ``max_query_bytes``."""
    size = len(text.encode("utf-8"))
    if size > limits.max_query_bytes:
        raise PayloadTooLarge(
            f"the query is {size} bytes; this endpoint accepts at most {limits.max_query_bytes} "
            "(setting max_query_bytes)"
        )


def refuse_update(found: str) -> Forbidden:
    """The error for any SPARQL Update, whatever the transport."""
    return Forbidden(
        f"this endpoint is read-only: SPARQL Update ({found}) is not accepted; "
        "download the dumps to work on a copy of the data"
    )


def _resolve(pname: str, prefixes: Mapping[str, str | None]) -> str:
    """The IRI of a prefixed name ('' for an undeclared or ambiguous prefix)."""
    prefix, _, local = pname.partition(":")
    base = prefixes.get(prefix)
    return base + _NAME_ESCAPE.sub(r"\1", local) if base else ""


def _target(token: Token | None, prefixes: Mapping[str, str | None]) -> str:
    """The endpoint IRI a SERVICE names ('' for a variable, a relative IRI or anything unknown)."""
    kind, text, _ = token or ("", "", 0)
    if kind == "iri":
        iri = unescape_codepoints(text[1:-1])
        return iri if re.match(r"[A-Za-z][A-Za-z0-9+.\-]*:", iri) else ""
    return _resolve(text, prefixes) if kind == "pname" else ""


def _service_calls(toks: list[Token], prefixes: Mapping[str, str | None]) -> Iterator[str]:
    """The target of every SERVICE pyoxigraph would read, even glued to its neighbours."""
    for i, (kind, text, _) in enumerate(toks):
        m = _SERVICE.match(text) if kind in NAMES else None
        if m is None:
            continue
        rest, j = text[m.end() :], i + 1  # what follows SERVICE (SILENT)? in this token
        if not rest and not m.group().upper().endswith("SILENT") and j < len(toks) and toks[j][0] in NAMES:
            if toks[j][1].upper().startswith("SILENT"):  # `SERVICE SILENT:a` calls `:a`
                rest, j = toks[j][1][6:], j + 1
        if rest:
            target = _resolve(rest, prefixes) if ":" in rest else ""
        else:
            target, j = _target(toks[j] if j < len(toks) else None, prefixes), j + 1
        # Glued forms are calls only where a group follows, as in `SERVICEex:a {`: so a prefix such as
        # `services:` stays a name.
        if (kind == "word" and text.upper() == "SERVICE") or (j < len(toks) and toks[j][1] == "{"):
            yield target


def _prologue(toks: list[Token]) -> tuple[dict[str, str | None], int]:
    """The prefixes the prologue declares and the index of the token after it.

    ``BASE <iri>``, ``PREFIX p: <iri>`` (also glued: ``PREFIXp:<iri>``), ``VERSION "1.2"``. A prefix
    declared twice with two IRIs maps to None: never resolved, so a SERVICE through it is refused.
    """
    declared: dict[str, str | None] = {}
    i = 0
    while i + 1 < len(toks) and toks[i][0] in NAMES:
        kind, text, _ = toks[i]
        upper = text.upper()
        if upper == "PREFIX" and i + 2 < len(toks):
            name, iri, i = toks[i + 1][1][:-1], toks[i + 2], i + 3
        elif kind == "pname" and upper.startswith("PREFIX") and upper.endswith(":"):
            name, iri, i = text[6:-1], toks[i + 1], i + 2
        elif upper in ("BASE", "VERSION"):
            i += 2
            continue
        else:
            break
        value = iri[1][1:-1] if iri[0] == "iri" else None
        declared[name] = value if declared.get(name, value) == value else None
    return declared, i


def _check_nesting(toks: list[Token], limits: Limits) -> None:
    """Depth of brackets, each closed only by its own kind.

    ``<…>`` may be an IRI or, in an expression, a `<` and a `>` with code between (``1<((2))&&3>2``):
    the brackets inside an IRI token count as code, its closers closing only its own openers, so the
    count is never below what either reading nests.
    """
    stack: list[str] = []

    def push(opener: str) -> None:
        stack.append(OPENERS[opener])
        if len(stack) > limits.max_nesting:
            raise BadRequest(
                f"the query nests brackets deeper than {limits.max_nesting} levels "
                "(setting max_nesting); flatten it"
            )

    for kind, text, _ in toks:
        if kind == "punct":
            if text in OPENERS:
                push(text)
            elif stack and text == stack[-1]:
                stack.pop()
        elif kind == "iri" and ("(" in text or "[" in text):
            floor = len(stack)
            for char in text:
                if char in "([":
                    push(char)
                elif len(stack) > floor and char == stack[-1]:
                    stack.pop()


def _describe(text: str, limits: Limits, prefixes: Mapping[str, str]) -> QueryInfo:
    """Check one reading of the text and describe it."""
    toks = tokens(text)
    _check_nesting(toks, limits)
    declared, first = _prologue(toks)
    words = [token_text.upper() for kind, token_text, _ in toks if kind == "word"]
    updates = [w for w in words if w in UPDATE_WORDS]
    # The first operation of any update follows the prologue; pyoxigraph reads `INSERTDATA` there too.
    start = toks[first][1].upper() if first < len(toks) and toks[first][0] in NAMES else ""
    updates += [w for w in sorted(UPDATE_WORDS) if start.startswith(w)]
    if updates:
        raise refuse_update(" ".join(dict.fromkeys(updates)))
    services = []
    if "SERVICE" in text.upper():  # a quick test first: one scan in C
        for target in _service_calls(toks, {**prefixes, **declared}):
            if target not in limits.service_allowlist:
                allowed = ", ".join(sorted(limits.service_allowlist)) or "none"
                raise Forbidden(
                    f"SERVICE {target or '(variable or relative IRI)'} is refused: this endpoint contacts "
                    f"no other host except those in the setting service_allowlist (now: {allowed})"
                )
            services.append(target)
    form = next((f for f in QUERY_FORMS if start.startswith(f)), None)
    return QueryInfo(form, any(w.startswith("FROM") for w in words), tuple(services))


# pyoxigraph's words when a prefixed name uses a prefix neither the query nor the store declares.
PREFIX_NOT_FOUND = "Prefix not found"


def explain_parse_error(error: BadRequest, text: str, prefixes: Mapping[str, str]) -> BadRequest:
    """The parser's "Prefix not found" (followed by a dump of the grammar's expected characters)
    said plainly: which prefixes the query uses without declaring them, and those the endpoint
    declares for every query. Any other error is returned as it is."""
    if PREFIX_NOT_FOUND not in error.message:
        return error
    try:
        toks = tokens(text)
    except BadRequest:
        return error
    declared, first = _prologue(toks)
    used = dict.fromkeys(t.split(":", 1)[0] for kind, t, _ in toks[first:] if kind == "pname")
    unknown = [p for p in used if p not in declared and p not in prefixes]
    if not unknown:
        return error
    names = ", ".join(f"{p}:" for p in unknown)
    known = ", ".join(f"{p}:" for p in sorted(prefixes))
    return BadRequest(
        f"the query does not parse: unknown prefix {names}. Declare it (PREFIX {unknown[0]}: <…>) or use"
        f" one of the prefixes this endpoint declares for every query: {known}"
    )


def inspect(text: str, limits: Limits, prefixes: Mapping[str, str] | None = None) -> QueryInfo:
    """Check a query text against the endpoint's rules and describe it.

    When the text has ``\\u`` escapes two readings are checked, and either refuses: pyoxigraph's
    (escapes only inside strings and IRIs) and the SPARQL specification's (all replaced first, §19.2).

    :param prefixes: the prefixes the store supplies to every query (to resolve ``SERVICE ex:x``).
    :raises PayloadTooLarge: past ``max_query_bytes`` (413).
    :raises BadRequest: nesting deeper than ``max_nesting``, a stray backslash, an open string (400).
    :raises Forbidden: any update operation, or SERVICE to an endpoint not in ``service_allowlist`` (403).
    """
    check_size(text, limits)
    decoded = unescape_codepoints(text)
    if decoded is not text:
        _describe(decoded, limits, prefixes or {})
    return _describe(text, limits, prefixes or {})
