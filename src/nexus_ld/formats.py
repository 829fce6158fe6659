"""One table of RDF and SPARQL-results formats: name, media types, suffix, pyoxigraph format.

Everything that negotiates, serialises or parses looks formats up here (as rdflib's plugin registry
does), never by testing strings in views.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import pyoxigraph as ox
from pyoxigraph import QueryResultsFormat, RdfFormat


@dataclass(frozen=True)
class Format:
    name: str
    media_types: tuple[str, ...]  # the first is the one we send
    suffix: str
    rdf: RdfFormat | None = None
    results: QueryResultsFormat | None = None
    rdflib: str | None = None  # rdflib parser/serialiser name

    @property
    def media_type(self) -> str:
        return self.media_types[0]


RDF_FORMATS: dict[str, Format] = {
    f.name: f
    for f in (
        Format("turtle", ("text/turtle", "application/x-turtle"), "ttl", RdfFormat.TURTLE, rdflib="turtle"),
        Format("ntriples", ("application/n-triples", "text/plain"), "nt", RdfFormat.N_TRIPLES, rdflib="nt"),
        Format("jsonld", ("application/ld+json",), "jsonld", RdfFormat.JSON_LD, rdflib="json-ld"),
        Format("rdfxml", ("application/rdf+xml", "application/xml"), "rdf", RdfFormat.RDF_XML, rdflib="xml"),
        Format("nquads", ("application/n-quads",), "nq", RdfFormat.N_QUADS, rdflib="nquads"),
        Format("trig", ("application/trig",), "trig", RdfFormat.TRIG, rdflib="trig"),
    )
}

RESULT_FORMATS: dict[str, Format] = {
    f.name: f
    for f in (
        Format(
            "json",
            ("application/sparql-results+json", "application/json"),
            "srj",
            results=QueryResultsFormat.JSON,
        ),
        Format(
            "xml",
            ("application/sparql-results+xml", "application/xml"),
            "srx",
            results=QueryResultsFormat.XML,
        ),
        Format("csv", ("text/csv",), "csv", results=QueryResultsFormat.CSV),
        Format("tsv", ("text/tab-separated-values",), "tsv", results=QueryResultsFormat.TSV),
    )
}

HTML = Format("html", ("text/html", "application/xhtml+xml"), "html")
# Plain JSON and text: pages' data forms (search, dumps list, contributions) and error bodies.
JSON = Format("json", ("application/json",), "json")
TEXT = Format("text", ("text/plain",), "txt")

# Formats that hold a single graph (no named graphs): for descriptions and CONSTRUCT results.
GRAPH_FORMATS = {k: v for k, v in RDF_FORMATS.items() if k not in ("nquads", "trig")}


def by_suffix(suffix: str, table: dict[str, Format] = RDF_FORMATS) -> Format | None:
    """The format whose file suffix is ``suffix`` (without dot), e.g. ``ttl``."""
    suffix = suffix.lower().lstrip(".")
    aliases = {"json": "jsonld", "xml": "rdf", "owl": "rdf", "n3": "ttl"}
    suffix = aliases.get(suffix, suffix) if table is RDF_FORMATS else suffix
    return next((f for f in table.values() if f.suffix == suffix), None)


def by_media_type(media_type: str, table: dict[str, Format] = RDF_FORMATS) -> Format | None:
    """The format sending or accepting ``media_type`` (parameters such as charset ignored)."""
    media_type = media_type.split(";")[0].strip().lower()
    return next((f for f in table.values() if media_type in f.media_types), None)


# Names clients send in a `format` parameter that are not our names or suffixes (SPARQLWrapper sends
# `xml` and `json` for CONSTRUCT results too, meaning RDF/XML and JSON-LD).
_ALIASES = {"json-ld": "jsonld", "rdf+xml": "rdfxml", "n-triples": "ntriples", "n-quads": "nquads"}

# The W3C format IRIs (http://www.w3.org/ns/formats/), by format name: for the service description.
W3C_FORMATS = {
    name: "http://www.w3.org/ns/formats/" + local
    for name, local in {
        "turtle": "Turtle",
        "ntriples": "N-Triples",
        "jsonld": "JSON-LD",
        "rdfxml": "RDF_XML",
        "nquads": "N-Quads",
        "trig": "TriG",
        "json": "SPARQL_Results_JSON",
        "xml": "SPARQL_Results_XML",
        "csv": "SPARQL_Results_CSV",
        "tsv": "SPARQL_Results_TSV",
    }.items()
}


def lookup(value: str, table: dict[str, Format]) -> Format | None:
    """The format of ``table`` that a ``format`` parameter names: a name, a suffix or a media type."""
    value = value.strip().lower()
    if "/" in value:
        return by_media_type(value, table)
    value = _ALIASES.get(value, value)
    if value in table:
        return table[value]
    rdf_aliases = {"json": "jsonld", "xml": "rdf", "owl": "rdf", "n3": "ttl"}
    if any(f.rdf is not None for f in table.values()):
        value = rdf_aliases.get(value, value)
    return next((f for f in table.values() if f.suffix == value), None)


def rdf_format(fmt: Format) -> RdfFormat:
    """pyoxigraph's format of an RDF ``fmt`` (not HTML, JSON or a results format)."""
    if fmt.rdf is None:
        raise ValueError(f"{fmt.name} is not an RDF format")
    return fmt.rdf


def serialize(triples: Iterable[Any], fmt: Format, prefixes: dict[str, str] | None = None) -> bytes:
    """Triples (or quads) in the RDF format ``fmt``, written by pyoxigraph."""
    # Given no output, pyoxigraph returns the bytes (its stubs say ``bytes | None``).
    return ox.serialize(triples, format=rdf_format(fmt), prefixes=prefixes) or b""
