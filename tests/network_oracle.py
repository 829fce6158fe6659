"""The network as of a year and by status the way the app filtered it before the network's tables
(issue 15, s21): the whole network in memory (``load_network``), filtered per request in Python. Kept
only as the test oracle of ``pipeline.publish.network``'s answers read from ``network.sqlite``."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import Any

from nexus_ld.pipeline.publish.network import Edge, Network, Node


def years(network: Network) -> tuple[int, int] | None:
    found = [y for e in network.edges for y in (e.begin, e.end, e.inside) if y is not None]
    found += [y for n in network.nodes.values() for y in (n.begin, n.end) if y is not None]
    return (min(found), max(found)) if found else None


def holds_in(edge: Edge, year: int, nodes: dict[str, Node]) -> bool:
    if (edge.first is not None and year < edge.first) or (edge.end is not None and year > edge.end):
        return False
    for iri in (edge.source, edge.target):
        node = nodes[iri]
        if (node.begin is not None and year < node.begin) or (node.end is not None and year > node.end):
            return False
    return True


def filtered(network: Network, year: int | None, statuses: Iterable[str], undated: bool = True) -> Network:
    wanted = set(statuses)
    edges = []
    for edge in network.edges:
        kept = tuple(c for c in edge.claims if c.status in wanted)
        if not kept or not (undated or edge.dated):
            continue
        if year is None or holds_in(edge, year, network.nodes):
            edges.append(edge if len(kept) == len(edge.claims) else replace(edge, claims=kept))
    ends = {iri for e in edges for iri in (e.source, e.target)}
    return Network({k: v for k, v in network.nodes.items() if k in ends}, edges, network.statuses)


def answer(
    network: Network, year: int | None, statuses: list[str], undated: bool, href: Callable[[str], str | None]
) -> dict[str, Any]:
    span = years(network)
    return {
        "year": year,
        "statuses": statuses,
        "undated": undated,
        "years": {"min": span[0], "max": span[1]} if span else None,
        "statusOptions": [{"slug": s, "label": label} for s, label in network.statuses.items()],
        **to_json(filtered(network, year, statuses, undated), href),
    }


def to_json(network: Network, href: Callable[[str], str | None]) -> dict[str, Any]:
    return {
        "nodes": [
            {"id": n.iri, "label": n.label, "category": n.category, "href": href(n.iri),
             "begin": n.begin, "end": n.end}
            for n in sorted(network.nodes.values(), key=lambda n: n.label.lower())
        ],
        "edges": [
            {"id": e.iri, "source": e.source, "target": e.target, "kind": e.kind, "kindLabel": e.kind_label,
             "label": e.label, "href": href(e.iri), "begin": e.begin, "end": e.end, "inside": e.inside,
             "when": e.when, "dated": e.dated, "status": e.statuses[0], "statuses": e.statuses,
             "claims": [
                 {"id": c.iri, "href": href(c.iri), "status": c.status, "statusLabel": c.status_label,
                  "summary": c.summary, "hedged": c.hedged,
                  "agents": [{"id": a.iri, "label": a.label, "href": href(a.iri)} for a in c.agents]}
                 for c in e.claims
             ]}
            for e in network.edges
        ],
    }  # fmt: skip
