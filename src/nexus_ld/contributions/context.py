"""The part of the published data a contribution touches, fetched from the store by SPARQL.

A contribution is validated against shapes + ontology + this context, never against the whole
dataset, so the cost depends on the contribution, not on the size of the store. The context is:

1. for every IRI the contribution mentions that the store describes (a *root*): its description,
   closed over blank nodes (``context-describe.rq``), the published triples that make it a target of a
   shape through ``sh:targetObjectsOf`` (``context-incoming.rq``) and the claims that reach it with their
   quotes (``context-parents.rq``, ``context-claim-quotes.rq``: the date checks look for them);
2. for every IRI a node *in scope* points to: its own triples, one hop (types, labels, schemes), which
   is what ``sh:class``, ``sh:node`` and nested shapes look at.

Nodes pulled in by step 2 or the claims of step 1 are there to answer questions, not to be judged:
only results whose focus node is *in scope* (the contribution's nodes and the blank nodes of the roots'
descriptions) are kept. ``tests/test_contributions_context.py`` shows that this equals validating the
whole merged dataset.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.term import Node

from nexus_ld.contributions.parse import to_rdflib
from nexus_ld.namespaces import DEFAULT_BASE
from nexus_ld.report import Report, render
from nexus_ld.store.embedded import Store

STORE_BNODE = "s"  # prefix of the store's blank nodes in rdflib graphs (contributions use "c")
PUBLISHED_GRAPHS = ("data", "sources")
MAX_BNODE_DEPTH = 16


@dataclass
class Context:
    """The fetched context of a contribution and the nodes whose results count."""

    graph: Graph
    described: Graph = field(default_factory=Graph)  # the roots' published descriptions, in full
    scope: set[Node] = field(default_factory=set)
    roots: set[URIRef] = field(default_factory=set)
    queries: int = 0


class Fetcher:
    """Runs the ``context-*.rq`` queries on the published graphs, translating terms both ways."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.graphs = [store.graphs[name] for name in PUBLISHED_GRAPHS]
        self.queries = 0

    def to_store(self, term: Node) -> ox.NamedNode | ox.BlankNode:
        if isinstance(term, BNode):
            return ox.BlankNode(str(term)[len(STORE_BNODE) :])
        value = str(term)
        if self.store.base != DEFAULT_BASE and value.startswith(DEFAULT_BASE):
            value = self.store.base + value[len(DEFAULT_BASE) :]
        return ox.NamedNode(value)

    def from_store(self, term: Any) -> Node:
        if (
            isinstance(term, ox.NamedNode)
            and self.store.base != DEFAULT_BASE
            and term.value.startswith(self.store.base)
        ):
            term = ox.NamedNode(DEFAULT_BASE + term.value[len(self.store.base) :])
        return to_rdflib(term, STORE_BNODE)

    def construct(self, name: str, node: Node) -> list[tuple[Node, Node, Node]]:
        """The triples of CONSTRUCT query ``name`` with ``?node`` bound, as rdflib triples."""
        self.queries += 1
        result = self.store.named(name, {"node": self.to_store(node)}, default_graph=self.graphs)
        return [
            (self.from_store(t.subject), self.from_store(t.predicate), self.from_store(t.object))
            for t in result
        ]

    def ask_in(self, node: Node, graph_name: str) -> bool:
        """Is ``node`` the subject of a triple in the named graph ``graph_name`` (e.g. "ontology")?"""
        self.queries += 1
        subs = {"node": self.to_store(node)}
        return bool(self.store.named("context-exists", subs, default_graph=[self.store.graphs[graph_name]]))

    def same_label(self, label: Literal) -> list[URIRef]:
        """Published resources whose rdfs:label or skos:altLabel is exactly ``label``."""
        self.queries += 1
        term = ox.Literal(str(label), language=label.language) if label.language else ox.Literal(str(label))
        rows = self.store.named("context-label", {"label": term}, default_graph=self.graphs)
        return [self.from_store(row["entity"]) for row in rows]

    def describe(self, node: Node) -> list[tuple[Node, Node, Node]]:
        """``node``'s triples, closed over the blank nodes they lead to (bounded depth)."""
        triples: list[tuple[Node, Node, Node]] = []
        frontier, seen, depth = [node], {node}, 0
        while frontier and depth < MAX_BNODE_DEPTH:
            next_frontier = []
            for subject in frontier:
                for triple in self.construct("context-describe", subject):
                    triples.append(triple)
                    obj = triple[2]
                    if isinstance(obj, BNode) and obj not in seen:
                        seen.add(obj)
                        next_frontier.append(obj)
            frontier, depth = next_frontier, depth + 1
        return triples


def nodes(graph: Graph) -> set[Node]:
    """Subjects and non-literal objects of ``graph``."""
    found: set[Node] = set()
    for s, _, o in graph:
        found.add(s)
        if isinstance(o, URIRef | BNode):
            found.add(o)
    return found


def fetch(store: Store, contribution: Graph) -> Context:
    """The context of ``contribution`` in ``store`` (see the module docstring)."""
    fetcher = Fetcher(store)
    context = Context(Graph())
    own = nodes(contribution)
    context.scope |= own
    for root in sorted(n for n in own if isinstance(n, URIRef)):
        description = fetcher.describe(root)
        if not description:
            continue  # nothing published about it: a new node, or a vocabulary term
        context.roots.add(root)
        _add(context.described, description)
        description = drop_restated(description, contribution, root)
        _add(context.graph, description)
        context.scope |= {s for s, _, _ in description if isinstance(s, BNode)}
        _add(context.graph, fetcher.construct("context-incoming", root))
        _add(context.graph, claims_reaching(fetcher, root))
    # One hop out of every node in scope: what sh:class / sh:node / nested shapes need to see.
    fetched: set[Node] = set(context.roots)
    for graph in (contribution, context.graph):
        for s, _, o in list(graph):
            if s in context.scope and isinstance(o, URIRef) and o not in fetched:
                fetched.add(o)
                _add(context.graph, fetcher.construct("context-describe", o))
    context.queries = fetcher.queries
    return context


def subtree_shape(graph: Graph, node: Node, depth: int = 0) -> frozenset:
    """``node``'s triples, blank objects replaced by their subtree's shape (comparable across graphs)."""
    out = set()
    for p, o in graph.predicate_objects(node):
        if isinstance(o, BNode) and depth < MAX_BNODE_DEPTH:
            out.add((str(p), subtree_shape(graph, o, depth + 1)))
        else:
            out.add((str(p), o))
    return frozenset(out)


def drop_restated(
    description: list[tuple[Node, Node, Node]], contribution: Graph, root: Node
) -> list[tuple[Node, Node, Node]]:
    """The published description without the blank subtrees the contribution restates identically.

    Restating a published file (``nexus-ld validate data/claims/….ttl``) must not count its evidence
    or time nodes twice; an identical subtree is the same statement, whatever its blank node ids.
    """
    published = Graph()
    _add(published, description)
    mine: dict[tuple[Node, frozenset[Any]], int] = {}
    for p, o in contribution.predicate_objects(root):
        if isinstance(o, BNode):
            key = (p, subtree_shape(contribution, o))
            mine[key] = mine.get(key, 0) + 1
    dropped: set[Node] = set()
    for p, o in published.predicate_objects(root):
        if isinstance(o, BNode) and (key := (p, subtree_shape(published, o))) and mine.get(key, 0) > 0:
            mine[key] -= 1
            dropped |= {n for n in published.transitiveClosure(_blank_children(published), o)} | {o}
    return [t for t in description if t[0] not in dropped and t[2] not in dropped]


def _blank_children(graph: Graph):
    return lambda node, _graph: (o for o in graph.objects(node) if isinstance(o, BNode))


def claims_reaching(fetcher: Fetcher, node: Node, max_depth: int = 6) -> list[tuple[Node, Node, Node]]:
    """The links from every published claim that reaches ``node`` down to it, and those claims' quotes.

    Walked upwards one query per node (``context-parents``), so each join starts from a bound node.
    """
    triples: list[tuple[Node, Node, Node]] = []
    frontier, seen = [node], {node}
    for _ in range(max_depth):
        parents = []
        for child in frontier:
            for link in fetcher.construct("context-parents", child):
                triples.append(link)
                if link[0] not in seen:
                    seen.add(link[0])
                    parents.append(link[0])
        for parent in parents:
            triples.extend(fetcher.construct("context-claim-quotes", parent))
        if not parents:
            break
        frontier = parents
    return triples


def restrict(report: Report, scope: set[Node]) -> Report:
    """The report with only the results whose focus node is in ``scope``."""
    kept = [r for r in report.results if r.focus in scope]
    conforms = not any(r.severity == "Violation" for r in kept)
    base = Report.from_results([])
    merged = base.merge(kept)
    return Report(conforms, merged.graph, render(conforms, merged.results), merged.results)


def _add(graph: Graph, triples: Iterator | list) -> None:
    for triple in triples:
        graph.add(triple)
