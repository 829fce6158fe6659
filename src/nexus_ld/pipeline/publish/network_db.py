"""The network's tables (``tables/network.sqlite``), written by build (``write_network``): nodes in
their labels' order, edges with the first and last year they hold in, the bits of their claims'
statuses and their JSON with all their claims, claims and their agents, their links, and the counts the
page's form shows (``Facts``). A
page or an answer with parameters reads from it only what it shows (``part``, ``count``, ``answer``):
a server process never holds the whole network (250 MB at 10M triples). The filtering by year and
status happens here, in one place (the web page's script only draws the answer of /network.json).

The answer of ``/network.json`` without parameters (the whole network: every year, reported facts,
undated edges too) is written by build as ``tables/network.json`` with its gzip beside it: 4.3 MB at
1M triples, the same bytes for every request of the release, sent as a file.
"""

from __future__ import annotations

import gzip
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from itertools import islice
from pathlib import Path
from typing import Any

from nexus_ld.pipeline.publish.network import (
    DEFAULT_STATUSES,
    FILE,
    Agent,
    ClaimRef,
    Edge,
    Network,
    Node,
    dumps,
    edge_json,
    encode,
    load_network,
    node_json,
)
from nexus_ld.pipeline.publish.tables import FOLDER
from nexus_ld.store.embedded import Store
from nexus_ld.urls import Urls

DB = "network.sqlite"  # the network's tables (SCHEMA), in the release's tables/
# A status is a bit (1 << its rowid - 1, in STATUS_ORDER), so "an edge has a claim of a chosen status"
# is one AND of the edge's bits with the request's. An edge holds as of a year between ``first`` and
# ``last`` (NULL: unbounded), the years its dates and its ends' lifespans allow (``_holds``). Links
# (``href``) are written at build: the same for every request of the release.
SCHEMA = """
CREATE TABLE statuses (slug TEXT, label TEXT, edges INTEGER);
CREATE TABLE nodes (iri TEXT, label TEXT, category TEXT, begin INTEGER, "end" INTEGER, href TEXT);
CREATE TABLE edges (iri TEXT, source INTEGER, target INTEGER, kind TEXT, kind_label TEXT, label TEXT,
                    begin INTEGER, "end" INTEGER, inside INTEGER, dated INTEGER, bits INTEGER,
                    first INTEGER, last INTEGER, href TEXT, json BLOB);
CREATE TABLE claims (edge INTEGER, iri TEXT, bit INTEGER, summary TEXT, hedged INTEGER, href TEXT);
CREATE TABLE claim_agents (claim INTEGER, iri TEXT, label TEXT, href TEXT);
CREATE INDEX claims_by_edge ON claims (edge);
CREATE INDEX claim_agents_by_claim ON claim_agents (claim);
CREATE TABLE span (first INTEGER, last INTEGER);
"""
CHUNK = 2000  # edges an answer reads and encodes at a time: what it holds at once


@dataclass(frozen=True)
class Facts:
    """What the network page and /network.json offer whatever is asked, counted at build (small: read
    once per release and process)."""

    statuses: dict[str, str]  # slug -> label, of all edge claims, in STATUS_ORDER
    edges: dict[str, int]  # slug -> how many edges a claim of that status draws
    years: tuple[int, int] | None  # the first and last year of an edge or a lifespan
    categories: frozenset[str]  # the node categories present

    def bits(self, statuses: Iterable[str]) -> int:
        """The bits of ``statuses`` (known ones), as the tables store them."""
        wanted = set(statuses)
        return sum(1 << n for n, slug in enumerate(self.statuses) if slug in wanted)


def _holds(edge: Edge, nodes: Mapping[str, Node]) -> tuple[int | None, int | None]:
    """The first and last year ``edge`` holds in (None: unbounded): the first and last year its span
    surely held (nx:firstYear, nx:lastYear: the time-slice rule of docs/data-model.md, as the examples
    read it), and only while both ends exist (not before a founding, not after a death or dissolution
    stated as reported fact). An undated edge is bounded by its ends' lifespans alone."""
    firsts = [y for y in (edge.first, *(nodes[n].begin for n in (edge.source, edge.target))) if y is not None]
    lasts = [y for y in (edge.end, *(nodes[n].end for n in (edge.source, edge.target))) if y is not None]
    return (max(firsts) if firsts else None, min(lasts) if lasts else None)


def _years(network: Network) -> tuple[int, int] | None:
    found = [y for e in network.edges for y in (e.begin, e.end, e.inside) if y is not None]
    found += [y for n in network.nodes.values() for y in (n.begin, n.end) if y is not None]
    return (min(found), max(found)) if found else None


def write_db(con: sqlite3.Connection, network: Network, href: Callable[[str], str | None]) -> None:
    """``network`` into its tables (``SCHEMA``) in ``con``, linked by ``href``: nodes in their labels'
    order, edges and claims in the order of network-edges.rq."""
    con.executescript(SCHEMA)
    bit = {slug: n for n, slug in enumerate(network.statuses)}
    edges_of = {s: sum(s in e.statuses for e in network.edges) for s in network.statuses}
    rows = [(s, label, edges_of[s]) for s, label in network.statuses.items()]
    con.executemany("INSERT INTO statuses VALUES (?, ?, ?)", rows)
    ordered = sorted(network.nodes.values(), key=lambda n: n.label.lower())
    number = {n.iri: i for i, n in enumerate(ordered, 1)}
    con.executemany(
        'INSERT INTO nodes (rowid, iri, label, category, begin, "end", href) VALUES (?, ?, ?, ?, ?, ?, ?)',
        [(number[n.iri], n.iri, n.label, n.category, n.begin, n.end, href(n.iri)) for n in ordered],
    )
    edges: list[tuple[Any, ...]] = []
    claims: list[tuple[Any, ...]] = []
    agents: list[tuple[Any, ...]] = []
    for i, e in enumerate(network.edges, 1):
        first, last = _holds(e, network.nodes)
        bits = sum(1 << bit[s] for s in e.statuses)
        edges.append((i, e.iri, number[e.source], number[e.target], e.kind, e.kind_label, e.label, e.begin,
                      e.end, e.inside, e.dated, bits, first, last, href(e.iri)))  # fmt: skip
        for c in e.claims:
            claims.append((len(claims) + 1, i, c.iri, 1 << bit[c.status], c.summary, c.hedged, href(c.iri)))
            agents += [(len(claims), a.iri, a.label, href(a.iri)) for a in c.agents]
    con.executemany(f"INSERT INTO edges (rowid, {_EDGE}) VALUES ({', '.join('?' * 15)})", edges)
    con.executemany("INSERT INTO claims (rowid, edge, iri, bit, summary, hedged, href) VALUES "
                    "(?, ?, ?, ?, ?, ?, ?)", claims)  # fmt: skip
    con.executemany("INSERT INTO claim_agents VALUES (?, ?, ?, ?)", agents)
    span = _years(network)
    if span:
        con.execute("INSERT INTO span VALUES (?, ?)", span)
    # Each edge's JSON with all its claims, as an answer writes it: what an answer sends of an edge whose
    # claims it keeps all (every edge, for every status), without making its objects per request.
    facts = read_facts(con)
    shown, after = _Shown(facts, None, tuple(facts.statuses), True), 0
    while made := shown.edges(con, *shown.cte(after=after, limit=CHUNK)):
        written = [(dumps(edge_json(e)), n) for n, e in made]
        con.executemany("UPDATE edges SET json = ? WHERE rowid = ?", written)
        after = made[-1][0]


_EDGE = 'iri, source, target, kind, kind_label, label, begin, "end", inside, dated, bits, first, last, href'


def read_facts(con: sqlite3.Connection) -> Facts:
    """The ``Facts`` of the network in ``con``."""
    statuses = con.execute("SELECT slug, label, edges FROM statuses ORDER BY rowid").fetchall()
    span = con.execute("SELECT first, last FROM span").fetchone()
    categories = frozenset(c for (c,) in con.execute("SELECT DISTINCT category FROM nodes"))
    return Facts({s: label for s, label, _ in statuses}, {s: n for s, _, n in statuses},
                 (span[0], span[1]) if span else None, categories)  # fmt: skip


@dataclass(frozen=True)
class _Shown:
    """The edges a request shows, as SQL: a ``shown`` table of their rowids (``cte``, with ``values``)."""

    facts: Facts
    year: int | None  # as of that year (None: all years)
    statuses: tuple[str, ...]  # drawn by claims of these statuses, each edge with those claims only
    undated: bool  # edges the data do not date too

    def where(self) -> tuple[str, list[Any]]:
        clauses, values = ["e.bits & ?"], [self.facts.bits(self.statuses)]
        if not self.undated:
            clauses.append("e.dated")
        if self.year is not None:
            clauses.append("(e.first IS NULL OR e.first <= ?) AND (e.last IS NULL OR e.last >= ?)")
            values += [self.year, self.year]
        return " AND ".join(clauses), values

    def cte(
        self, after: int = 0, offset: int = 0, limit: int = -1, upto: int = -1, cut: int = -1
    ) -> tuple[str, list[Any]]:
        """Edges ``offset`` to ``offset + limit`` (-1: all) of those after rowid ``after`` (and up to
        ``upto``, -1: any; with a claim of the statuses of bits ``cut``, -1: any), in rowid order."""
        where, values = self.where()
        cte = f"WITH shown AS (SELECT rowid AS n FROM edges e WHERE {where} AND e.rowid > ? "
        cte += "AND (? < 0 OR e.rowid <= ?) AND (? < 0 OR e.bits & ?) "
        values += [after, upto, upto, cut, cut, limit, offset]
        return cte + "ORDER BY rowid LIMIT ? OFFSET ?) ", values

    def nodes(self, con: sqlite3.Connection, cte: str, values: list[Any]) -> Iterator[Node]:
        """The ends of the edges ``cte`` shows, in their labels' order."""
        for iri, label, category, begin, end, href in con.execute(
            cte + 'SELECT n.iri, n.label, n.category, n.begin, n."end", n.href FROM nodes n WHERE n.rowid IN '
            "(SELECT e.source FROM edges e JOIN shown ON e.rowid = shown.n "
            "UNION SELECT e.target FROM edges e JOIN shown ON e.rowid = shown.n) ORDER BY n.rowid",
            values,
        ):
            yield Node(iri, label, category, begin, end, href)

    def edges(self, con: sqlite3.Connection, cte: str, values: list[Any]) -> list[tuple[int, Edge]]:
        """The edges ``cte`` shows with their rowids, each with its claims of the chosen statuses."""
        names = list(self.facts.statuses)
        # edge -> claim -> (its fields, its link, its agents as read): each ClaimRef made once, whole.
        read: dict[int, dict[int, tuple[tuple[str, str, str, str, bool], str | None, list[Agent]]]] = {}
        for edge, claim, iri, bit, summary, hedged, href, agent, label, agent_href in con.execute(
            cte + "SELECT c.edge, c.rowid, c.iri, c.bit, c.summary, c.hedged, c.href, a.iri, a.label, a.href "
            "FROM claims c JOIN shown ON c.edge = shown.n JOIN claim_agents a ON a.claim = c.rowid "
            "WHERE c.bit & ? ORDER BY c.rowid, a.rowid",
            [*values, self.facts.bits(self.statuses)],
        ):
            of_edge = read.setdefault(edge, {})
            if claim not in of_edge:
                status = names[bit.bit_length() - 1]
                of_edge[claim] = ((iri, status, self.facts.statuses[status], summary, bool(hedged)), href, [])
            of_edge[claim][2].append(Agent(agent, label, agent_href))
        claims = {
            edge: tuple(ClaimRef(*fields, tuple(agents), href) for fields, href, agents in of_edge.values())
            for edge, of_edge in read.items()
        }
        found = con.execute(
            cte + 'SELECT e.rowid, e.iri, s.iri, t.iri, e.kind, e.kind_label, e.label, e.begin, e."end", '
            "e.inside, e.href FROM edges e JOIN shown ON e.rowid = shown.n "
            "JOIN nodes s ON s.rowid = e.source JOIN nodes t ON t.rowid = e.target ORDER BY e.rowid",
            values,
        )
        return [
            (n, Edge(iri, source, target, kind, kind_label, label, begin, end, inside, claims[n], href))
            for n, iri, source, target, kind, kind_label, label, begin, end, inside, href in found
        ]  # fmt: skip


def count(
    con: sqlite3.Connection, facts: Facts, year: int | None, statuses: Iterable[str], undated: bool
) -> tuple[int, int]:
    """How many nodes and edges ``part`` would show without a limit."""
    where, values = _Shown(facts, year, tuple(statuses), undated).where()
    edges = con.execute(f"SELECT count(*) FROM edges e WHERE {where}", values).fetchone()[0]
    nodes = con.execute(  # IN over UNION ALL: a quarter faster than counting a UNION (one sort fewer)
        f"SELECT count(*) FROM nodes WHERE rowid IN (SELECT e.source FROM edges e WHERE {where} "
        f"UNION ALL SELECT e.target FROM edges e WHERE {where})",
        values * 2,
    ).fetchone()[0]
    return int(nodes), int(edges)


def part(
    con: sqlite3.Connection, facts: Facts, year: int | None, statuses: Iterable[str], undated: bool,
    offset: int = 0, limit: int = -1,
) -> Network:  # fmt: skip
    """Edges ``offset`` to ``offset + limit`` (-1: all) of the network as of ``year`` (None: all years)
    that claims of ``statuses`` draw (each with those claims only; ``undated``: edges the data do not
    date too), in network-edges.rq's order, and their ends in their labels' order."""
    shown = _Shown(facts, year, tuple(statuses), undated)
    cte, values = shown.cte(offset=offset, limit=limit)
    nodes = {n.iri: n for n in shown.nodes(con, cte, values)}
    return Network(nodes, [e for _, e in shown.edges(con, cte, values)], facts.statuses)


def answer(
    con: sqlite3.Connection, facts: Facts, year: int | None, statuses: list[str], undated: bool
) -> Iterator[bytes]:
    """The body of /network.json, as ``encode`` writes it, in pieces of ``CHUNK`` nodes or edges (never
    the whole network at once: 83 MB of JSON at 10M triples for every status): the network as of
    ``year`` shown by claims of ``statuses`` (``part``), with what the page's form offers (the years,
    the statuses)."""
    span = facts.years
    head = {
        "year": year,
        "statuses": statuses,
        "undated": undated,
        "years": {"min": span[0], "max": span[1]} if span else None,
        "statusOptions": [{"slug": s, "label": label} for s, label in facts.statuses.items()],
    }
    yield encode(head)[: -len(b"}\n")] + b',"nodes":['
    shown = _Shown(facts, year, tuple(statuses), undated)
    nodes, first = shown.nodes(con, *shown.cte()), True
    while batch := list(islice(nodes, CHUNK)):
        yield (b"" if first else b",") + b",".join(dumps(node_json(n)) for n in batch)
        first = False
    yield b'],"edges":['
    after, cut = 0, sum(1 << n for n in range(len(facts.statuses))) & ~facts.bits(statuses)
    cte, values = shown.cte(after=after, limit=CHUNK)
    while rows := con.execute(
        cte + "SELECT e.rowid, e.bits & ?, e.json FROM edges e JOIN shown ON e.rowid = shown.n "
        "ORDER BY e.rowid",
        [*values, cut],
    ).fetchall():
        # An edge with claims of other statuses too is made here with the chosen ones; the rest are stored.
        made = {}
        if any(other for _, other, _ in rows):
            made = dict(shown.edges(con, *shown.cte(after=after, upto=rows[-1][0], cut=cut)))
        yield (b"," if after else b"") + b",".join(dumps(edge_json(made[n])) if other else json
                                                   for n, other, json in rows)  # fmt: skip
        after = rows[-1][0]
        cte, values = shown.cte(after=after, limit=CHUNK)
    yield b"]}\n"


def write_network(store: Store, release_folder: Path, into: Path | None = None) -> int:
    """Write the network's tables (``network.sqlite``) and the answer of /network.json without
    parameters (``network.json``, and ``network.json.gz`` for clients that take gzip) into the page tables
    folder ``into`` (default: the release's); the answer's size in bytes. They are made of the release's
    network tables (``load_network``): those must be written first."""
    network = load_network(store.prefixes, release_folder)
    folder = into or release_folder / FOLDER
    (folder / DB).unlink(missing_ok=True)
    con = sqlite3.connect(folder / DB)
    try:
        with con:
            write_db(con, network, cache(Urls(store.base).href))
        data = b"".join(answer(con, read_facts(con), None, list(DEFAULT_STATUSES), True))
    finally:
        con.close()
    path = folder / FILE
    path.write_bytes(data)
    # mtime 0: the same release gives the same bytes; level 6 (zlib's default): 9 saves ~1% for 2x the time.
    path.with_name(FILE + ".gz").write_bytes(gzip.compress(data, compresslevel=6, mtime=0))
    return len(data)
