"""A contribution's validation report for people (text grouped by node, HTML) and machines (JSON, Turtle)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.term import Node

from nexus_ld.contributions.service import Outcome
from nexus_ld.report import Result


def anchor(result: Result, graph: Graph) -> Node:
    """The IRI a reader looks for: the result's context, or the IRI its blank focus node hangs from."""
    if result.context is not None:
        return result.context
    node, seen = result.focus, set()
    while isinstance(node, BNode) and node not in seen:
        seen.add(node)
        parent = next(graph.subjects(None, node), None)
        if parent is None:
            break
        node = parent
    return node


def term_text(term: Node | None) -> str | None:
    """A term as a reader sees it: IRIs bare, literals as their text, blank nodes as ``[]``."""
    if term is None:
        return None
    if isinstance(term, BNode):
        return "[]"
    if isinstance(term, Literal):
        text = str(term)
        return text if len(text) <= 200 else text[:197] + "..."
    return str(term)


def grouped(outcome: Outcome) -> list[tuple[str, int | None, list[Result]]]:
    """Results grouped by the node they are about, with the input line that names it."""
    groups: dict[str, list[Result]] = defaultdict(list)
    for result in outcome.report.results:
        groups[term_text(anchor(result, outcome.parsed.graph)) or ""].append(result)
    return [(node, outcome.lines.get(node), results) for node, results in sorted(groups.items())]


def to_dict(outcome: Outcome) -> dict[str, Any]:
    """The JSON form: the verdict, counts, and one object per result (with the line where known)."""
    results = []
    for node, line, group in grouped(outcome):
        for r in group:
            results.append(
                {
                    "severity": r.severity,
                    "node": node,
                    "line": line,
                    "focus": term_text(r.focus),
                    "path": term_text(r.path),
                    "value": term_text(r.value),
                    "message": r.message,
                    "shape": term_text(r.shape),
                }
            )
    counts = {s: sum(r["severity"] == s for r in results) for s in ("Violation", "Warning", "Info")}
    return {
        "conforms": outcome.conforms,
        "violations": counts["Violation"],
        "warnings": counts["Warning"],
        "infos": counts["Info"],
        "format": outcome.parsed.fmt.name,
        "triples": len(outcome.parsed.graph),
        "size": outcome.parsed.size,
        "sha256": outcome.parsed.sha256,
        "context_triples": outcome.context_triples,
        "milliseconds": round(outcome.seconds * 1000, 1),
        "results": results,
    }


def to_text(outcome: Outcome, source: str) -> str:
    """Human output: a verdict line, then the results grouped by node (message, path, value, line)."""
    summary = to_dict(outcome)
    verdict = "conforms" if outcome.conforms else "does not conform"
    head = (
        f"{source}: {verdict} ({summary['triples']} triples; {summary['violations']} violations, "
        f"{summary['warnings']} warnings)"
    )
    lines = [head]
    for node, line, group in grouped(outcome):
        lines.append("")
        lines.append(f"{source}:{line}: {node}" if line else f"{source}: {node}")
        for r in group:
            lines.append(f"  {r.severity}: {r.message}")
            if r.path is not None:
                lines.append(f"    path:  {term_text(r.path)}")
            if r.value is not None:
                lines.append(f"    value: {term_text(r.value)}")
    return "\n".join(lines)


def to_turtle(outcome: Outcome) -> str:
    """The SHACL validation report graph (sh:ValidationReport) as Turtle."""
    graph: Graph = outcome.report.graph
    graph.bind("sh", URIRef("http://www.w3.org/ns/shacl#"))
    return graph.serialize(format="turtle")
