"""Reading a SPARQL server's answer as pyoxigraph results, whichever server wrote it: blank-node
labels of any shape (Virtuoso's ``nodeID://b1``) renamed, booleans read by value, and an answer that
cannot be read a 502 quoting it (``remote.RemoteStore`` sends the queries)."""

from __future__ import annotations

import json
from typing import Any
from xml.etree.ElementTree import Element, tostring

import pyoxigraph as ox
from defusedxml.ElementTree import ParseError, fromstring

from nexus_ld.errors import BadGateway
from nexus_ld.formats import RDF_FORMATS, RESULT_FORMATS, by_media_type

XSD_BOOLEAN = "http://www.w3.org/2001/XMLSchema#boolean"
SRX = "{http://www.w3.org/2005/sparql-results#}"
QUOTED_BYTES = 300  # how much of an unreadable answer a 502 quotes


def blank_id(label: str) -> str:
    """A pyoxigraph blank-node id for a server's label of any shape (``nodeID://b1`` -> hex)."""
    return "n" + label.encode("utf-8").hex()


def _unreadable(media_type: str, data: bytes, why: object) -> BadGateway:
    quoted = data[:QUOTED_BYTES].decode("utf-8", "replace").strip()
    return BadGateway(f"the store's answer ({media_type}) cannot be read: {why}; the store said: {quoted}")


def _json_term(term: dict[str, Any]) -> None:
    if term.get("type") == "bnode":
        term["value"] = blank_id(str(term.get("value", "")))
    elif term.get("datatype") == XSD_BOOLEAN and term.get("value") in ("1", "0"):
        term["value"] = "true" if term["value"] == "1" else "false"


def _xml_term(element: Element) -> None:
    if element.tag == SRX + "bnode":
        element.text = blank_id(element.text or "")
    elif element.tag == SRX + "literal" and element.get("datatype") == XSD_BOOLEAN:
        element.text = {"1": "true", "0": "false"}.get(element.text or "", element.text)


def normalized_results(data: bytes, fmt: ox.QueryResultsFormat) -> bytes:
    """SPARQL JSON or XML results with blank-node labels made valid and booleans canonical, so that
    pyoxigraph reads any server's answer and booleans compare by value.

    Raises:
        ValueError: the body is not JSON / XML at all.
    """
    if fmt == ox.QueryResultsFormat.JSON:
        document = json.loads(data)
        for row in document.get("results", {}).get("bindings", []):
            for term in row.values():
                _json_term(term)
        return json.dumps(document).encode("utf-8")
    try:
        root = fromstring(data)
    except ParseError as exc:
        raise ValueError(str(exc)) from None
    for element in root.iter():
        _xml_term(element)
    return tostring(root)


def canonical(term: Any) -> Any:
    """``"1"^^xsd:boolean`` as ``"true"^^xsd:boolean`` (and 0 as false); other terms unchanged."""
    if isinstance(term, ox.Literal) and term.datatype.value == XSD_BOOLEAN and term.value in ("1", "0"):
        return ox.Literal("true" if term.value == "1" else "false", datatype=term.datatype)
    return term


def read_answer(data: bytes, media_type: str) -> Any:
    """The server's answer as pyoxigraph results (SELECT, ASK) or a list of triples (CONSTRUCT,
    DESCRIBE), read completely so that an unreadable answer fails here and not in a view.

    Raises:
        BadGateway: the answer is in no format nexus-ld reads, or does not parse (quoted).
    """
    results = by_media_type(media_type, RESULT_FORMATS)
    graph = by_media_type(media_type, RDF_FORMATS)
    try:
        if results is not None and results.results in (ox.QueryResultsFormat.JSON, ox.QueryResultsFormat.XML):
            data = normalized_results(data, results.results)
            answer = ox.parse_query_results(data, format=results.results)
            if isinstance(answer, ox.QuerySolutions):
                list(answer)  # a full read: a syntax error further on surfaces now
                answer = ox.parse_query_results(data, format=results.results)
            return answer
        if graph is not None:
            quads = ox.parse(data, format=graph.rdf)
            return [ox.Triple(q.subject, q.predicate, canonical(q.object)) for q in quads]
    except (SyntaxError, ValueError) as exc:
        raise _unreadable(media_type, data, exc) from None
    raise _unreadable(media_type, data, "nexus-ld reads SPARQL JSON or XML results and RDF graphs")
