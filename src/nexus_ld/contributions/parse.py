"""Read an untrusted RDF document into triples, refusing hostile input before and while parsing.

Order matters: the size is checked before anything is decoded, compressed bodies are inflated
with a bound, the text must be UTF-8, JSON and XML are screened (nesting depth, remote
``@context``, DOCTYPE / entities) before the RDF parser sees them, and the parser (pyoxigraph,
which never fetches anything and does not recurse) stops at the triple limit. Every refusal is a
typed error with a message that says what to change: ``InputError`` (400), ``PayloadTooLarge`` (413),
``UnsupportedMediaType`` (415).
"""

from __future__ import annotations

import hashlib
import json
import zlib
from dataclasses import dataclass, field
from typing import Any

import pyoxigraph as ox
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, iterparse
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.term import Node

from nexus_ld import formats
from nexus_ld.errors import InputError, PayloadTooLarge, UnsupportedMediaType
from nexus_ld.namespaces import DEFAULT_BASE

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
RDF_LANGSTRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
GZIP_MAGIC = b"\x1f\x8b"
ENCODINGS = ("gzip", "x-gzip", "deflate")


@dataclass(frozen=True)
class Limits:
    """What a contribution may be: bytes (before and after inflating), triples, literal length, nesting."""

    max_bytes: int = 2_000_000
    max_triples: int = 20_000
    max_literal_chars: int = 100_000
    max_nesting: int = 64

    @classmethod
    def from_settings(cls, settings: Any) -> Limits:
        return cls(
            settings.max_body_bytes,
            settings.contribution_max_triples,
            settings.contribution_max_literal_chars,
            settings.contribution_max_nesting,
        )


@dataclass
class Parsed:
    """A parsed contribution: its triples (rdflib, for the shapes), the quads as read, and what it was."""

    graph: Graph
    quads: list[ox.Quad]
    fmt: formats.Format
    text: str
    sha256: str
    size: int
    graph_names: set[str] = field(default_factory=set)
    prefixes: dict[str, str] = field(default_factory=dict)  # as the parser read them (not in comments)


def choose_format(
    *, explicit: str | None = None, media_type: str | None = None, filename: str | None = None
) -> formats.Format:
    """The RDF format named by ``--format``/``format=``, a Content-Type, or a file name, in that order.

    Raises:
        UnsupportedMediaType: when none names a supported RDF format.
    """
    supported = ", ".join(f"{f.name} ({f.media_type}, .{f.suffix})" for f in formats.RDF_FORMATS.values())
    if explicit:
        fmt = (
            formats.RDF_FORMATS.get(explicit.lower())
            or formats.by_suffix(explicit)
            or formats.by_media_type(explicit)
        )
        if fmt is None:
            raise UnsupportedMediaType(f"unknown format {explicit!r}; use one of: {supported}")
        return fmt
    if media_type and media_type.split(";")[0].strip().lower() not in ("", "application/octet-stream"):
        fmt = formats.by_media_type(media_type)
        if fmt is None:
            raise UnsupportedMediaType(
                f"Content-Type {media_type!r} is not an RDF format; send one of: {supported}"
            )
        return fmt
    if filename:
        name = filename[: -len(".gz")] if filename.lower().endswith(".gz") else filename
        suffix = name.rsplit(".", 1)[-1] if "." in name else ""
        fmt = formats.by_suffix(suffix) if suffix else None
        if fmt is None:
            raise UnsupportedMediaType(
                f"cannot tell the RDF format of {filename!r}; give --format (one of: {supported})"
            )
        return fmt
    raise UnsupportedMediaType(f"no Content-Type: say which RDF format the body is, one of: {supported}")


def inflate(data: bytes, encoding: str, limit: int) -> bytes:
    """Decompress a gzip/deflate body, stopping as soon as it would exceed ``limit`` bytes (zip bombs).

    Raises:
        PayloadTooLarge: the inflated body is over the limit.
        InputError: the body is not valid compressed data.
        UnsupportedMediaType: an encoding other than gzip or deflate.
    """
    encoding = encoding.strip().lower()
    if encoding in ("", "identity"):
        return data
    if encoding not in ENCODINGS:
        raise UnsupportedMediaType(
            f"Content-Encoding {encoding!r} is not supported; send gzip, deflate or none"
        )
    wbits = 16 + zlib.MAX_WBITS if encoding != "deflate" else zlib.MAX_WBITS
    inflater = zlib.decompressobj(wbits)
    try:
        out = inflater.decompress(data, limit + 1)
    except zlib.error as exc:
        raise InputError(f"the {encoding} body cannot be decompressed: {exc}") from None
    if len(out) > limit or inflater.unconsumed_tail:
        raise PayloadTooLarge(
            f"the compressed body inflates to more than {limit} bytes (setting max_body_bytes); "
            "nothing was stored"
        )
    return out


def check_size(size: int, limit: int) -> None:
    """Refuse a body over ``limit`` bytes before reading or parsing it."""
    if size > limit:
        raise PayloadTooLarge(
            f"the body has {size} bytes, more than the {limit} accepted (setting max_body_bytes); "
            "split the contribution"
        )


def read_capped(stream: Any, limit: int) -> bytes:
    """At most ``limit`` bytes of ``stream``; a longer stream is refused once ``limit + 1`` are read.

    Raises:
        PayloadTooLarge: the stream holds more than ``limit`` bytes.
    """
    chunks, size = [], 0
    while size <= limit:
        chunk = stream.read(min(65_536, limit + 1 - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    if size > limit:
        raise PayloadTooLarge(
            f"the body is larger than {limit} bytes (setting max_body_bytes); nothing was stored, "
            "split the contribution"
        )
    return b"".join(chunks)


def decode(data: bytes, source: str) -> str:
    """UTF-8 text of ``data`` (a BOM is dropped), or an ``InputError`` naming the line of the bad byte."""
    if not data.strip():
        raise InputError(
            "empty input: send an RDF document (Turtle, TriG, N-Triples, N-Quads, JSON-LD, RDF/XML)",
            source=source,
        )
    if data.startswith(GZIP_MAGIC):
        raise InputError(
            "the input is gzip-compressed: send it with Content-Encoding: gzip (or a .gz file name)",
            source=source,
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputError(
            f"not UTF-8 text: byte 0x{data[exc.start]:02x} at offset {exc.start}", source=source, line=line
        ) from None


def json_depth(text: str) -> int:
    """Deepest nesting of arrays and objects in JSON ``text``, without building it (no recursion)."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def remote_contexts(node: Any) -> list[str]:
    """Every ``@context`` / ``@import`` in a JSON-LD document that names a document to fetch."""
    found: list[str] = []
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, dict):
            for key, value in item.items():
                if key in ("@context", "@import"):
                    for ctx in value if isinstance(value, list) else [value]:
                        if isinstance(ctx, str):
                            found.append(ctx)
                stack.append(value)
    return found


def screen_json(text: str, source: str, limits: Limits) -> None:
    """Refuse JSON-LD that nests too deeply, does not parse, or needs a remote ``@context``."""
    if json_depth(text) > limits.max_nesting:
        raise InputError(
            f"JSON nested deeper than {limits.max_nesting} levels (setting contribution_max_nesting)",
            source=source,
        )
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"invalid JSON: {exc.msg}", source=source, line=exc.lineno, column=exc.colno
        ) from None
    remote = remote_contexts(document)
    if remote:
        raise InputError(
            f"remote JSON-LD context {remote[0]!r} is never fetched: put the context inline as an object",
            source=source,
        )


def screen_xml(data: bytes, source: str, limits: Limits) -> None:
    """Refuse XML with a DOCTYPE, entities or external references (XXE, billion laughs), or too deep."""
    depth = 0
    try:
        for event, _ in iterparse(_Reader(data), events=("start", "end"), forbid_dtd=True):
            depth += 1 if event == "start" else -1
            if depth > limits.max_nesting:
                raise InputError(
                    f"XML nested deeper than {limits.max_nesting} elements "
                    "(setting contribution_max_nesting)",
                    source=source,
                )
    except DefusedXmlException as exc:
        raise InputError(
            "RDF/XML with a DOCTYPE, entity declarations or external references is refused "
            f"({type(exc).__name__})",
            source=source,
        ) from None
    except ParseError as exc:
        line, column = exc.position
        raise InputError(
            f"invalid XML: {exc.msg if hasattr(exc, 'msg') else exc}", source=source, line=line, column=column
        ) from None


class _Reader:
    """A file-like view of bytes for iterparse (which wants ``read``)."""

    def __init__(self, data: bytes) -> None:
        self._data, self._pos = data, 0

    def read(self, size: int = -1) -> bytes:
        end = len(self._data) if size < 0 else self._pos + size
        chunk, self._pos = self._data[self._pos : end], min(end, len(self._data))
        return chunk


def to_rdflib(term: Any, bnode_prefix: str = "c") -> Node:
    """An rdflib term for a pyoxigraph term; blank nodes get ``bnode_prefix`` so that a contribution's
    blank nodes can never be confused with the store's."""
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(bnode_prefix + term.value)
    if term.language:
        return Literal(term.value, lang=term.language)
    datatype = term.datatype.value
    if datatype in (XSD_STRING, RDF_LANGSTRING):
        return Literal(term.value)
    return Literal(term.value, datatype=URIRef(datatype))


def parse(data: bytes, fmt: formats.Format, source: str, limits: Limits) -> Parsed:
    """Parse an untrusted document of format ``fmt`` into a ``Parsed`` contribution.

    Raises:
        PayloadTooLarge: over the byte or triple limit, or a literal over the length limit.
        InputError: empty, not UTF-8, nested too deeply, DOCTYPE/entities, remote context, syntax error
            (with line and column), or no triples at all.
    """
    check_size(len(data), limits.max_bytes)
    text = decode(data, source)
    if fmt.name == "jsonld":
        screen_json(text, source, limits)
    elif fmt.name == "rdfxml":
        screen_xml(data, source, limits)
    quads: list[ox.Quad] = []
    parser = ox.parse(text.encode("utf-8"), format=fmt.rdf, base_iri=DEFAULT_BASE)
    try:
        for quad in parser:
            quads.append(quad)
            if len(quads) > limits.max_triples:
                raise PayloadTooLarge(
                    f"more than {limits.max_triples} triples (setting contribution_max_triples); "
                    "split the contribution"
                )
            if isinstance(quad.object, ox.Literal) and len(quad.object.value) > limits.max_literal_chars:
                raise PayloadTooLarge(
                    f"a literal of {len(quad.object.value)} characters on <{_iri(quad.subject)}>, more than "
                    f"{limits.max_literal_chars} (setting contribution_max_literal_chars)"
                )
    except SyntaxError as exc:
        raise InputError(
            _syntax_message(exc.msg, fmt), source=source, line=exc.lineno, column=exc.offset
        ) from None
    except ValueError as exc:
        raise InputError(f"cannot read as {fmt.name}: {exc}", source=source) from None
    if not quads:
        raise InputError(f"no triples: the document parses as {fmt.name} but states nothing", source=source)
    graph = Graph()
    names = set()
    for quad in quads:
        graph.add((to_rdflib(quad.subject), to_rdflib(quad.predicate), to_rdflib(quad.object)))
        if isinstance(quad.graph_name, ox.NamedNode | ox.BlankNode):
            names.add(_iri(quad.graph_name))
    sha256 = hashlib.sha256(data).hexdigest()
    return Parsed(graph, quads, fmt, text, sha256, len(data), names, dict(parser.prefixes))


def _iri(term: Any) -> str:
    return term.value if hasattr(term, "value") else str(term)


def _syntax_message(message: str, fmt: formats.Format) -> str:
    # pyoxigraph appends "(line N)"; the position is carried separately.
    message = message.split(" (line ")[0] if message.endswith(")") and " (line " in message else message
    return f"{fmt.name} syntax error: {message}"
