"""The network of groups, people and bodies that the claims draw: nodes, edges (relationships and
memberships, each with the claims behind it), and the network as of a year and for some statuses.

Built from the answers of three named queries (``network-edges``, ``network-nodes``,
``network-lifespans``), which build keeps as the release's page tables (pipeline/publish/tables.py):
``load_network`` makes the whole network of them, at build only; ``network_db.py`` writes it into the
tables a request reads what it shows of (``tables/network.sqlite``), and /network.json of those.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Any

from nexus_ld.pipeline.publish.tables import read_table

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
    href: str | None = None  # where a page links for it (Urls.href), as build wrote it


@dataclass(frozen=True)
class ClaimRef:
    iri: str
    status: str  # slug, e.g. "reported-fact"
    status_label: str
    summary: str
    hedged: bool
    agents: tuple[Agent, ...]
    href: str | None = None


@dataclass(frozen=True)
class Edge:
    iri: str
    source: str
    target: str
    kind: str  # slug of the class or role, e.g. "alliance", "leader"
    kind_label: str
    label: str
    begin: int | None  # its beginning's year
    end: int | None  # the last year it surely held (nx:lastYear)
    inside: int | None  # a year it is known to hold in, when that is not its beginning
    claims: tuple[ClaimRef, ...]
    href: str | None = None
    # The first year it surely held (nx:firstYear): what "as of a year" reads, at build (network_db._holds).
    first: int | None = None

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
    href: str | None = None


@dataclass(frozen=True)
class Network:
    nodes: dict[str, Node]
    edges: list[Edge]
    statuses: dict[str, str] = field(default_factory=dict)  # slug -> label, of all edge claims


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
        "first": year_of(r["first"]),
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


def node_json(n: Node) -> dict[str, Any]:
    """A node as cytoscape-ready plain data, with its link."""
    return {"id": n.iri, "label": n.label, "category": n.category, "href": n.href,
            "begin": n.begin, "end": n.end}  # fmt: skip


def edge_json(e: Edge) -> dict[str, Any]:
    """An edge as cytoscape-ready plain data; it, its claims and their agents with their links."""
    return {
        "id": e.iri, "source": e.source, "target": e.target, "kind": e.kind, "kindLabel": e.kind_label,
        "label": e.label, "href": e.href, "begin": e.begin, "end": e.end, "inside": e.inside,
        "when": e.when, "dated": e.dated, "status": e.statuses[0], "statuses": e.statuses,
        "claims": [
            {"id": c.iri, "href": c.href, "status": c.status, "statusLabel": c.status_label,
             "summary": c.summary, "hedged": c.hedged,
             "agents": [{"id": a.iri, "label": a.label, "href": a.href} for a in c.agents]}
            for c in e.claims
        ],
    }  # fmt: skip


def encode(body: Any) -> bytes:
    """``body`` as JSON, as the app's ``jsonify`` writes it outside debug mode (compact, keys in their
    order: web/app.py, ASCII, a newline at the end): the file written at build and an answer made per
    request are alike."""
    return dumps(body) + b"\n"


def dumps(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=True, separators=(",", ":")).encode()
