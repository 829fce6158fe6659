"""The network of groups, people and bodies that the claims draw: nodes, edges (relationships and
memberships, each with the claims behind it), and the network as of a year and for some statuses.

Built from the answers of three named queries (``network-edges``, ``network-nodes``,
``network-lifespans``), which build keeps as the release's page tables (pipeline/publish/tables.py):
made once per release, never per request. The filtering by year and status happens here, in one
place (the web page's script only draws the answer of /network.json).

The answer of ``/network.json`` without parameters (the whole network: every year, reported facts,
undated edges too) is written by build as ``tables/network.json`` with its gzip beside it
(``write_network``): 4.3 MB at 1M triples, the same bytes for every request of the release, sent as
a file. An answer with parameters is made from the network per request (``answer``, ``encode``).
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import cache, cached_property
from pathlib import Path
from typing import Any

from nexus_ld.pipeline.publish.tables import FOLDER, read_table
from nexus_ld.store.embedded import Store
from nexus_ld.urls import Urls

# Which status colours an edge drawn from claims of several statuses (the first one present).
STATUS_ORDER = (
    "reported-fact", "official-statement", "claim-of-responsibility", "assessment", "allegation",
    "forecast", "recommendation", "denial",
)  # fmt: skip
# Node categories, most specific first: (name, legend label, classes as CURIEs, cytoscape shape). The
# classes must be among those network-nodes.rq asks about. The legend carries the shape to the
# drawing (network.js) and network.css draws the legend's swatch in the same shape.
CATEGORIES = (
    ("person", "Person", ("schema:Person",), "ellipse"),
    ("group", "Armed group", ("nx:ArmedGroup",), "round-rectangle"),
    ("category", "Category of groups", ("nx:GroupCategory",), "round-hexagon"),
    ("state", "State or state body", ("nx:State", "nx:StateBody"), "round-diamond"),
    ("organisation", "Other organisation", ("w3org:Organization",), "round-pentagon"),
    ("place", "Place", ("schema:Place",), "round-triangle"),
)
OTHER = "other"
DEFAULT_STATUSES = ("reported-fact",)  # what the picture shows unless asked: reported facts only
FILE = "network.json"  # the answer of /network.json without parameters, in the release's tables/
LEGEND = [(name, label, shape) for name, label, _, shape in CATEGORIES] + [(OTHER, "Other", "round-octagon")]


@dataclass(frozen=True)
class Agent:
    iri: str
    label: str


@dataclass(frozen=True)
class ClaimRef:
    iri: str
    status: str  # slug, e.g. "reported-fact"
    status_label: str
    summary: str
    hedged: bool
    agents: tuple[Agent, ...]


@dataclass(frozen=True)
class Edge:
    iri: str
    source: str
    target: str
    kind: str  # slug of the class or role, e.g. "alliance", "leader"
    kind_label: str
    label: str
    begin: int | None
    end: int | None
    inside: int | None
    claims: tuple[ClaimRef, ...]

    @property
    def dated(self) -> bool:
        return any(y is not None for y in (self.begin, self.end, self.inside))

    @cached_property  # read per edge and per status by the page and the JSON: worked out once
    def statuses(self) -> list[str]:
        present = {c.status for c in self.claims}
        return [s for s in STATUS_ORDER if s in present] + sorted(present - set(STATUS_ORDER))

    @property
    def when(self) -> str:
        begin = self.begin if self.begin is not None else self.inside
        if begin is not None and self.end is not None:
            return f"{begin}–{self.end}" if begin != self.end else str(begin)
        if begin is not None:
            return f"since {begin}" if self.begin is not None else f"in {begin}"
        return f"until {self.end}" if self.end is not None else "undated"


@dataclass(frozen=True)
class Node:
    iri: str
    label: str
    category: str
    begin: int | None = None  # founding (groups) from a reported-fact event
    end: int | None = None  # death or dissolution from a reported-fact event


@dataclass(frozen=True)
class Network:
    nodes: dict[str, Node]
    edges: list[Edge]
    statuses: dict[str, str] = field(default_factory=dict)  # slug -> label, of all edge claims

    @property
    def years(self) -> tuple[int, int] | None:
        found = [y for e in self.edges for y in (e.begin, e.end, e.inside) if y is not None]
        found += [y for n in self.nodes.values() for y in (n.begin, n.end) if y is not None]
        return (min(found), max(found)) if found else None


def slug(iri: str) -> str:
    """The last segment of an IRI (``reported-fact`` for ``…/status/reported-fact``)."""
    return iri.rstrip("/").rsplit("/", 1)[-1].rsplit("#", 1)[-1]


def year_of(value: str | None) -> int | None:
    """An integer year from a table's value, or None."""
    return int(value) if value is not None else None


def _edge_fields(r: dict[str, Any]) -> dict[str, Any]:
    """The fields of an Edge, but its claims, from a row of network-edges.rq."""
    kind = slug(r["kind"]) if r["kind"] is not None else "member"
    return {
        "source": r["source"],
        "target": r["target"],
        "kind": kind,
        "kind_label": r["kindLabel"] or kind.replace("-", " "),
        "label": r["edgeLabel"] or slug(r["edge"]),
        "begin": year_of(r["begin"]),
        "end": year_of(r["end"]),
        "inside": year_of(r["inside"]),
    }


def load_network(prefixes: Mapping[str, str], release_folder: Path) -> Network:
    """The whole network (every year, every status) from the page tables of the release in
    ``release_folder`` (class CURIEs expanded by ``prefixes``).

    Raises:
        StoreUnavailable: the release has no page tables (built before them).
    """
    fields: dict[str, dict[str, Any]] = {}
    claims: dict[str, dict[str, ClaimRef]] = {}  # edge -> claim -> claim
    statuses: dict[str, str] = {}
    for r in read_table(release_folder, "network-edges"):
        iri, claim_iri = r["edge"], r["claim"]
        fields.setdefault(iri, _edge_fields(r))
        status = slug(r["status"])
        statuses[status] = r["statusLabel"] or status.replace("-", " ")
        agent = Agent(r["agent"], r["agentLabel"] or slug(r["agent"]))
        of_edge = claims.setdefault(iri, {})
        known = of_edge.get(claim_iri)
        if known is None:
            hedged = r["hedged"] == "true"
            of_edge[claim_iri] = ClaimRef(claim_iri, status, statuses[status], r["summary"], hedged, (agent,))
        elif agent not in known.agents:
            of_edge[claim_iri] = replace(known, agents=(*known.agents, agent))
    edges = [Edge(iri, **f, claims=tuple(claims[iri].values())) for iri, f in fields.items()]
    nodes = _nodes(prefixes, release_folder)
    for e in edges:  # an endpoint the node query missed still gets drawn
        for iri in (e.source, e.target):
            nodes.setdefault(iri, Node(iri, slug(iri), OTHER))
    return Network(nodes, edges, dict(sorted(statuses.items(), key=lambda s: _status_rank(s[0]))))


def _status_rank(slug: str) -> int:
    return STATUS_ORDER.index(slug) if slug in STATUS_ORDER else len(STATUS_ORDER)


def _expand(prefixes: Mapping[str, str], curie: str) -> str:
    prefix, local = curie.split(":", 1)
    return prefixes[prefix] + local


def _nodes(prefixes: Mapping[str, str], release_folder: Path) -> dict[str, Node]:
    category_of = {
        _expand(prefixes, c): (rank, name) for rank, (name, _, cs, _) in enumerate(CATEGORIES) for c in cs
    }
    found: dict[str, tuple[str, tuple[int, str]]] = {}
    for r in read_table(release_folder, "network-nodes"):
        iri = r["node"]
        label = r["label"] or slug(iri)
        cat = category_of.get(r["class"] or "", (len(CATEGORIES), OTHER))
        if iri not in found or cat < found[iri][1]:
            found[iri] = (label, cat)
    spans: dict[str, dict[str, int]] = {}
    for r in read_table(release_folder, "network-lifespans"):
        spans.setdefault(r["node"], {})[r["edge"]] = int(r["year"])
    return {
        iri: Node(iri, label, cat[1], spans.get(iri, {}).get("begin"), spans.get(iri, {}).get("end"))
        for iri, (label, cat) in found.items()
    }


def holds_in(edge: Edge, year: int, nodes: dict[str, Node]) -> bool:
    """Whether ``edge`` is part of the network as of ``year``.

    It holds from its beginning (or the year it is known to hold in) to its end, where the data give
    them, and only while both ends exist (not before a founding, not after a death or dissolution
    stated as reported fact). An undated edge is bounded by its ends' lifespans alone.
    """
    begin = edge.begin if edge.begin is not None else edge.inside
    if (begin is not None and year < begin) or (edge.end is not None and year > edge.end):
        return False
    for iri in (edge.source, edge.target):
        node = nodes[iri]
        if (node.begin is not None and year < node.begin) or (node.end is not None and year > node.end):
            return False
    return True


def filtered(network: Network, year: int | None, statuses: Iterable[str], undated: bool = True) -> Network:
    """The part of ``network`` as of ``year`` (None: all years) shown by claims of ``statuses``.

    An edge stays if one of its claims has a chosen status; it keeps only those claims. Edges the
    data do not date stay only if ``undated``. Nodes are the ends of the edges that stay.
    """
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


def to_json(network: Network, href: Callable[[str], str | None]) -> dict[str, Any]:
    """The network as cytoscape-ready plain data; every node, edge, claim and agent has its link
    (``href``: ``Urls.href``, or a memo of it)."""
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


def answer(
    network: Network, year: int | None, statuses: list[str], undated: bool, href: Callable[[str], str | None]
) -> dict[str, Any]:
    """The body of /network.json: ``network`` as of ``year`` shown by claims of ``statuses`` (``filtered``),
    with what the page's form offers (the years, the statuses)."""
    span = network.years
    return {
        "year": year,
        "statuses": statuses,
        "undated": undated,
        "years": {"min": span[0], "max": span[1]} if span else None,
        "statusOptions": [{"slug": s, "label": label} for s, label in network.statuses.items()],
        **to_json(filtered(network, year, statuses, undated), href),
    }


def encode(body: dict[str, Any]) -> bytes:
    """``body`` as JSON, as the app's ``jsonify`` writes it outside debug mode (compact, keys in their
    order: web/app.py, ASCII, a newline at the end): the file written at build and an answer made per
    request are alike."""
    return (json.dumps(body, ensure_ascii=True, separators=(",", ":")) + "\n").encode()


def write_network(store: Store, release_folder: Path) -> int:
    """Write the answer of /network.json without parameters into the page tables of the release in
    ``release_folder`` (``tables/network.json``, and ``network.json.gz`` for clients that take gzip);
    its size in bytes. The tables it is made of must be written first."""
    network = load_network(store.prefixes, release_folder)
    body = answer(network, None, list(DEFAULT_STATUSES), True, cache(Urls(store.base).href))
    data = encode(body)
    path = release_folder / FOLDER / FILE
    path.write_bytes(data)
    # mtime 0: the same release gives the same bytes; level 6 (zlib's default): 9 saves ~1% for 2x the time.
    path.with_name(FILE + ".gz").write_bytes(gzip.compress(data, compresslevel=6, mtime=0))
    return len(data)
