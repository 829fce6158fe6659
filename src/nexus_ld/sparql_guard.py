"""Inspect a SPARQL request text before it reaches the store: size, nesting, updates, SERVICE.

A small lexer (strings, IRIs and comments are skipped, so a keyword inside a literal never counts)
finds the query form, the dataset clauses and every ``SERVICE`` call. It is not a parser: the store's
own parser still judges the syntax; this only refuses, early and with a message naming the setting,
what the endpoint never runs (issue 4: read-only, no contact with other hosts, no parser crash).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from .config import Settings
from .errors import BadRequest, Forbidden, PayloadTooLarge

QUERY_FORMS = frozenset({"SELECT", "CONSTRUCT", "DESCRIBE", "ASK"})
# Every SPARQL 1.1 Update operation starts with, or contains, one of these words; none is a query keyword.
UPDATE_WORDS = frozenset(
    {"INSERT", "DELETE", "LOAD", "CLEAR", "DROP", "CREATE", "ADD", "MOVE", "COPY", "WITH"}
)
OPENERS = {"{": "}", "(": ")", "[": "]", "<<": ">>"}
CLOSERS = frozenset(OPENERS.values())

_TOKEN = re.compile(
    r"""
      (?P<ws>\s+)
    | (?P<comment>\#[^\r\n]*)
    | (?P<string>'''(?:(?:'|'')?(?:[^'\\]|\\.))*''' | \"\"\"(?:(?:"|"")?(?:[^"\\]|\\.))*\"\"\"
                 | '(?:[^'\\\r\n]|\\.)*' | "(?:[^"\\\r\n]|\\.)*")
    | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
    | (?P<var>[?$]\w+)
    | (?P<bnode>_:(?:[\w.\-]|\\.)*)
    | (?P<pname>(?:[^\W\d_][\w.\-]*)?:(?:[\w.\-:%]|\\.)*)
    | (?P<word>[^\W\d][\w]*)
    | (?P<number>\d[\d.]*(?:[eE][+-]?\d+)?)
    | (?P<punct><<|>>|.)
    """,
    re.VERBOSE | re.DOTALL,
)
# SPARQL 1.1 Query §19.2: \u and \U escapes are replaced before parsing, anywhere in the text,
# so `\u0053ERVICE` is SERVICE to the store and must be SERVICE here too.
_SKIPPED = frozenset({"ws", "comment"})
_CODEPOINT = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")


Token = tuple[str, str]  # (kind, text): plain tuples, since every request's query is lexed


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
    """Replace ``\\uXXXX`` / ``\\UXXXXXXXX`` escapes as the SPARQL parser does before parsing."""
    if "\\u" not in text and "\\U" not in text:
        return text

    def repl(m: re.Match[str]) -> str:
        code = int(m.group(1) or m.group(2), 16)
        return chr(code) if code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF else m.group(0)

    return _CODEPOINT.sub(repl, text)


def tokens(text: str) -> list[Token]:
    """The significant tokens of ``text`` (whitespace and comments dropped)."""
    return [(m.lastgroup, m.group()) for m in _TOKEN.finditer(text) if m.lastgroup not in _SKIPPED]


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


def _service_target(toks: list[Token], i: int, prefixes: Mapping[str, str]) -> str:
    """The endpoint IRI after the SERVICE at ``toks[i]`` ('' for a variable or a relative IRI)."""
    j = i + 1
    if j < len(toks) and toks[j][0] == "word" and toks[j][1].upper() == "SILENT":
        j += 1
    if j >= len(toks):
        return ""
    kind, text = toks[j]
    if kind == "iri":
        iri = text[1:-1]
        return iri if re.match(r"[A-Za-z][A-Za-z0-9+.\-]*:", iri) else ""
    if kind == "pname":
        prefix, _, local = text.partition(":")
        return prefixes[prefix] + local if prefix in prefixes else ""
    return ""


def _declared_prefixes(toks: list[Token]) -> dict[str, str]:
    declared = {}
    for (kind, text), (_, name), (next_kind, iri) in zip(toks, toks[1:], toks[2:], strict=False):
        if kind == "word" and text.upper() == "PREFIX" and next_kind == "iri":
            declared[name.rstrip(":")] = iri[1:-1]
    return declared


def _check_nesting(toks: Iterable[Token], limits: Limits) -> None:
    depth = 0
    for kind, text in toks:
        if kind != "punct":
            continue
        if text in OPENERS:
            depth += 1
            if depth > limits.max_nesting:
                raise BadRequest(
                    f"the query nests brackets deeper than {limits.max_nesting} levels "
                    "(setting max_nesting); flatten it"
                )
        elif text in CLOSERS and depth:
            depth -= 1


def inspect(text: str, limits: Limits, prefixes: Mapping[str, str] | None = None) -> QueryInfo:
    """Check a query text against the endpoint's rules and describe it.

    :param prefixes: the prefixes the store supplies to every query (to resolve ``SERVICE ex:x``).
    :raises PayloadTooLarge: past ``max_query_bytes`` (413).
    :raises BadRequest: nesting deeper than ``max_nesting`` (400).
    :raises Forbidden: any update operation, or SERVICE to an endpoint not in ``service_allowlist`` (403).
    """
    check_size(text, limits)
    toks = tokens(unescape_codepoints(text))
    _check_nesting(toks, limits)
    words = [text.upper() for kind, text in toks if kind == "word"]
    form = next((w for w in words if w not in ("BASE", "PREFIX")), None)
    updates = [w for w in words if w in UPDATE_WORDS]
    if updates:
        raise refuse_update(" ".join(dict.fromkeys(updates)))
    if form not in QUERY_FORMS:
        form = None
    known = {**(prefixes or {}), **_declared_prefixes(toks)}
    services = []
    for i, (kind, text) in enumerate(toks):
        if kind == "word" and text.upper() == "SERVICE":
            target = _service_target(toks, i, known)
            if target not in limits.service_allowlist:
                allowed = ", ".join(sorted(limits.service_allowlist)) or "none"
                raise Forbidden(
                    f"SERVICE {target or '(variable or relative IRI)'} is refused: this endpoint contacts "
                    f"no other host except those in the setting service_allowlist (now: {allowed})"
                )
            services.append(target)
    return QueryInfo(form, "FROM" in words, tuple(services))
