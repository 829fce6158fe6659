"""Findings as data: a ``Result`` (from a SHACL shape or from a check) and a ``Report`` of them, with
its SHACL report graph, its text and its JSON form. Every check engine, the shapes wrapper, the CLI,
the contributions and the web render findings through these two types."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF, SH
from rdflib.term import Node

SEVERITIES = {SH.Violation: "Violation", SH.Warning: "Warning", SH.Info: "Info"}
_SEVERITY_IRIS = {name: iri for iri, name in SEVERITIES.items()}


@dataclass(frozen=True)
class Result:
    """One validation result, from a shape or from a Python check.

    ``shape`` is the named shape a reader looks up (the node shape owning a blank property shape);
    ``source_shape`` is the report's ``sh:sourceShape`` as given. ``context`` names the IRI a blank
    ``focus`` hangs from (the claim of an evidence node or of a time instant), so that a reader finds it.
    """

    focus: Node
    message: str
    path: Node | None = None
    value: Node | None = None
    severity: str = "Violation"
    shape: Node | None = None
    source_shape: Node | None = None
    context: URIRef | None = None

    def line(self) -> str:
        where = (
            _short(self.focus) if self.context is None else f"{_short(self.context)} > {_short(self.focus)}"
        )
        where += f" {_short(self.path)}" if self.path is not None else ""
        value = f" (value: {_short(self.value)})" if self.value is not None else ""
        return f"{self.severity}: {where}: {self.message}{value}"

    def to_dict(self) -> dict[str, str | None]:
        """Terms as text (IRIs bare, literals as their value, blank nodes as ``[]``)."""
        return {
            "severity": self.severity,
            "focus": _text(self.focus),
            "context": _text(self.context),
            "path": _text(self.path),
            "value": _text(self.value),
            "message": self.message,
            "shape": _text(self.shape),
        }


@dataclass(frozen=True)
class Report:
    """The outcome of a validation: conforms when no result is a Violation."""

    conforms: bool
    graph: Graph
    text: str
    results: list[Result] = field(default_factory=list)

    @classmethod
    def from_results(cls, results: Iterable[Result]) -> Report:
        """A report of Python-side findings alone (its graph is a SHACL report graph too)."""
        return cls(True, _report_graph(True), "", []).merge(results)

    def merge(self, findings: Iterable[Result] | Report) -> Report:
        """A new report with ``findings`` (results, or another report's results) added."""
        extra = list(findings.results if isinstance(findings, Report) else findings)
        results = sorted([*self.results, *extra], key=sort_key)
        conforms = self.conforms and not any(r.severity == "Violation" for r in extra)
        graph = Graph()
        graph += self.graph
        report = next(graph.subjects(RDF.type, SH.ValidationReport))
        graph.set((report, SH.conforms, Literal(conforms)))
        for result in extra:
            _add_result(graph, report, result)
        return replace(self, conforms=conforms, graph=graph, text=render(conforms, results), results=results)

    @property
    def violations(self) -> list[Result]:
        return [r for r in self.results if r.severity == "Violation"]

    def to_dict(self) -> dict[str, Any]:
        """The JSON form: the verdict, counts by severity, and one object per result."""
        counts = {name: sum(r.severity == name for r in self.results) for name in SEVERITIES.values()}
        return {
            "conforms": self.conforms,
            "violations": counts["Violation"],
            "warnings": counts["Warning"],
            "infos": counts["Info"],
            "results": [r.to_dict() for r in self.results],
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False)


def render(conforms: bool, results: list[Result]) -> str:
    """The report as text: a status line, then one line per result."""
    counts = {name: sum(r.severity == name for r in results) for name in SEVERITIES.values()}
    head = "Conforms" if conforms else "Does not conform"
    summary = ", ".join(f"{n} {name.lower()}{'s' if n != 1 else ''}" for name, n in counts.items() if n)
    lines = [f"{head}" + (f": {summary}" if summary else "")]
    lines += [r.line() for r in results]
    return "\n".join(lines)


def _report_graph(conforms: bool) -> Graph:
    graph = Graph()
    report = BNode()
    graph.add((report, RDF.type, SH.ValidationReport))
    graph.add((report, SH.conforms, Literal(conforms)))
    return graph


def _add_result(graph: Graph, report: Node, result: Result) -> None:
    node = BNode()
    graph.add((report, SH.result, node))
    graph.add((node, RDF.type, SH.ValidationResult))
    graph.add((node, SH.focusNode, result.focus))
    graph.add((node, SH.resultMessage, Literal(result.message)))
    graph.add((node, SH.resultSeverity, _SEVERITY_IRIS[result.severity]))
    for prop, term in (
        (SH.resultPath, result.path),
        (SH.value, result.value),
        (SH.sourceShape, result.source_shape),
    ):
        if term is not None:
            graph.add((node, prop, term))


def sort_key(result: Result) -> tuple[int, str, str, str]:
    rank = list(SEVERITIES.values()).index(result.severity) if result.severity in _SEVERITY_IRIS else 3
    return (rank, str(result.context or result.focus), str(result.path or ""), result.message)


def _text(term: Node | None) -> str | None:
    if term is None:
        return None
    return "[]" if isinstance(term, BNode) else str(term)


def _short(term: Node | None) -> str:
    if isinstance(term, URIRef):
        return f"<{term}>"
    if isinstance(term, Literal):
        return repr(str(term)) if len(term) <= 60 else repr(str(term)[:57] + "...")
    if isinstance(term, BNode):
        return "[]"
    return str(term)
