"""The page tables: what a page would otherwise sort or read in full on every request — the timeline,
the network, the claims, each listing in its order — computed once by ``build`` into the release's
``tables/`` folder, never per request. Over a million triples each of these queries reads every
event, edge, claim or member (0.3–3 s: docs/performance.md).

The listings and the claims are read a page at a time, never whole (a page shows 50 of 95,000 events
or 170,000 claims at 10M): they go into one SQLite file (``paged.sqlite``): a table per listing whose
rowid is the listing's order, read by rowid (``read_rows``), and the claims with their agents,
indexed by status and agent, whose rowid is claims.rq's order (``claims_page``, ``claims_speaker``).
The timeline's events go into ``paged.sqlite`` too (timeline.py); the network's three tables stay JSON,
read at build into ``network.sqlite`` (network_db.py); the agents who make claims and the contribution
notes stay JSON, read once per release and server process (``read_table``).

The tables sit beside release.json, so a server over a remote store (``serve --store URL``) reads the
same ones as over the embedded store: the pages are the same whichever store answers ``/sparql``.
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from nexus_ld.errors import StoreUnavailable
from nexus_ld.pipeline.publish.counts import listing_row
from nexus_ld.store.embedded import Store

FOLDER = "tables"
PAGED = "paged.sqlite"  # in FOLDER: the listings and the claims, read by page
COLUMNS = ("iri", "label", "types", "claims", "when")  # of a listing row (counts.listing_row)
_NAMES = ", ".join(f'"{c}"' for c in COLUMNS)  # quoted: "when" is an SQL keyword
# The named queries whose whole answer a page reads: their rows, as plain values, in the query's order.
QUERIES = (
    "claim-agents",
    "network-edges",
    "network-nodes",
    "network-lifespans",
    "contribution-notes",
)
# The listing pages (path -> class as a CURIE): each one's members in the listing's order (listing.rq).
LISTED = {
    "groups": "nx:ArmedGroup",
    "people": "schema:Person",
    "events": "nx:Event",
    "relationships": "nx:Relationship",
    "places": "schema:Place",
    "sources": "nx:Source",
}

Row = dict[str, str | None]
# The claims (one row each, in claims.rq's order: first passage, then IRI) and who makes each.
CLAIMS_SCHEMA = """
CREATE TABLE claims (iri TEXT, summary TEXT, status TEXT, slug TEXT, status_label TEXT, hedged INTEGER);
CREATE TABLE claim_agents (claim INTEGER, agent TEXT, label TEXT);
CREATE INDEX claims_by_status ON claims (slug);
CREATE INDEX claim_agents_by_claim ON claim_agents (claim);
CREATE INDEX claim_agents_by_agent ON claim_agents (agent, claim);
CREATE TABLE claim_speakers (slug TEXT PRIMARY KEY, agent TEXT, label TEXT);
"""
CLAIM_COLUMNS = ("iri", "summary", "status", "slug", "status_label", "hedged")
# What to do about a release built before its tables were.
REMEDY = (
    "nexus-ld serve (or gunicorn with nexus-ld's gunicorn_conf) makes them at start; "
    "or rebuild it with nexus-ld build"
)


def plain_rows(solutions: Any) -> list[Row]:
    """A SELECT answer as rows of lexical values (None where unbound): what the pages read of a term."""
    names = [v.value for v in solutions.variables]
    return [{n: (t.value if (t := s[n]) is not None else None) for n in names} for s in solutions]


def listing_name(kind: str) -> str:
    return "listing-" + kind


def _write(folder: Path, name: str, rows: list[Any]) -> None:
    # Columns once, then each row as a list: a third of the size of a list of objects.
    columns = list(rows[0]) if rows else []
    body = {"columns": columns, "rows": [[r[c] for c in columns] for r in rows]}
    (folder / f"{name}.json").write_text(json.dumps(body, ensure_ascii=False), encoding="utf-8")


def write_tables(store: Store, folder: Path) -> dict[str, int]:
    """Write every page table into ``folder``; the rows of each, by name."""
    folder.mkdir(parents=True, exist_ok=True)
    written: dict[str, int] = {}
    for name in QUERIES:
        rows = plain_rows(store.named(name))
        _write(folder, name, rows)
        written[name] = len(rows)
    (folder / PAGED).unlink(missing_ok=True)
    con = sqlite3.connect(folder / PAGED)
    try:
        with con:
            written["claims"] = _write_claims(con, plain_rows(store.named("claims")))
            for kind, curie in LISTED.items():
                prefix, local = curie.split(":", 1)
                members = store.named("listing", {"class": ox.NamedNode(store.prefixes[prefix] + local)})
                name = listing_name(kind)
                con.execute(f'CREATE TABLE "{name}" ({_NAMES})')
                values = ([row[c] for c in COLUMNS] for row in map(listing_row, members))
                con.executemany(f'INSERT INTO "{name}" VALUES ({", ".join("?" * len(COLUMNS))})', values)
                written[name] = con.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]
    finally:
        con.close()
    return written


def usual_speaker(counts: Mapping[tuple[str, str], int]) -> tuple[str, str] | None:
    """The agent (IRI, label) who makes the most claims by ``counts``, usually the source's author: a
    page names them once, and each claim names only another speaker. Most claims first, then by IRI:
    the same speaker whichever order the rows came in."""
    return min(counts, key=lambda a: (-counts[a], a[0])) if counts else None


def _write_claims(con: sqlite3.Connection, rows: list[Row]) -> int:
    """The rows of claims.rq (one per claim and agent) as claims, each with its agents; how many."""
    con.executescript(CLAIMS_SCHEMA)
    numbers: dict[str | None, int] = {}  # claim -> its rowid: its place in claims.rq's order
    claims, agents = [], []
    for r in rows:
        if r["claim"] not in numbers:
            numbers[r["claim"]] = len(numbers) + 1
            status = r["status"] or ""
            claims.append((numbers[r["claim"]], r["claim"], r["summary"], status, status.rsplit("/", 1)[-1],
                           r["statusLabel"] or "", r["hedged"] == "true"))  # fmt: skip
        agents.append((numbers[r["claim"]], r["agent"], r["agentLabel"] or r["agent"]))
    con.executemany(
        f"INSERT INTO claims (rowid, {', '.join(CLAIM_COLUMNS)}) VALUES (?, ?, ?, ?, ?, ?, ?)", claims
    )
    con.executemany("INSERT INTO claim_agents VALUES (?, ?, ?)", agents)
    # Who makes most of the claims of each status, and of all ('': no status chosen): one GROUP BY
    # here instead of one per status and server process (2 s over every claim at 10M).
    counts: dict[str, Counter[tuple[str, str]]] = {"": Counter()}
    said = "SELECT c.slug, a.agent, a.label, count(*) FROM claim_agents a JOIN claims c ON c.rowid = a.claim"
    for slug, iri, label, n in con.execute(said + " GROUP BY c.slug, a.agent, a.label"):
        counts.setdefault(slug, Counter())[(iri, label)] += n
        counts[""][(iri, label)] += n
    for slug, of_slug in counts.items():
        if (speaker := usual_speaker(of_slug)) is not None:
            con.execute("INSERT INTO claim_speakers VALUES (?, ?, ?)", (slug, *speaker))
    return len(numbers)


def stored(release_folder: Path, file: str, what: str | None = None) -> Path:
    """The path of ``file`` the build wrote into the release's tables folder (``what``: the page
    table it holds, for the message).

    Raises:
        StoreUnavailable: the release was built before it was (``REMEDY``).
    """
    path = release_folder / FOLDER / file
    if not path.is_file():
        named = f"page table {what!r} ({FOLDER}/{file})" if what else f"{FOLDER}/{file}"
        raise StoreUnavailable(f"this release has no {named}; {REMEDY}")
    return path


def open_paged(release_folder: Path, what: str, file: str = PAGED) -> sqlite3.Connection:
    """The release's ``paged.sqlite`` (or another SQLite ``file`` of its tables), read-only.

    Raises:
        StoreUnavailable: the release was built before it was (``REMEDY``).
    """
    path = stored(release_folder, file, what)
    # immutable: a release's tables are written before it is published, never after.
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro&immutable=1", uri=True)


def _claims_filter(slug: str | None, agent: str | None) -> tuple[str, list[str]]:
    """The WHERE clause on ``claims c`` (and its values): the claims of status ``slug`` said by ``agent``."""
    clauses, values = ["1"], []
    if slug:
        clauses.append("c.slug = ?")
        values.append(slug)
    if agent:
        clauses.append("c.rowid IN (SELECT claim FROM claim_agents WHERE agent = ?)")
        values.append(agent)
    return " AND ".join(clauses), values


def claims_count(con: sqlite3.Connection, slug: str | None, agent: str | None) -> int:
    """How many claims have status ``slug`` and are said by ``agent`` (None or '': any), in the
    release's ``paged.sqlite`` (``open_paged``)."""
    where, values = _claims_filter(slug, agent)
    return int(con.execute(f"SELECT count(*) FROM claims c WHERE {where}", values).fetchone()[0])


def claims_page(
    con: sqlite3.Connection, slug: str | None, agent: str | None, offset: int, limit: int
) -> list[dict[str, Any]]:
    """Claims ``offset`` to ``offset + limit`` of ``claims_count``'s, in claims.rq's order, each with
    ``agents`` (IRI, label) pairs: all of them, or only ``agent`` when it is given (a filter names that
    agent only)."""
    where, values = _claims_filter(slug, agent)
    found = con.execute(
        f"SELECT c.rowid, {', '.join(CLAIM_COLUMNS)} FROM claims c WHERE {where} "
        "ORDER BY c.rowid LIMIT ? OFFSET ?",
        [*values, limit, offset],
    ).fetchall()
    claims = {n: dict(zip(CLAIM_COLUMNS, rest, strict=True)) | {"agents": []} for n, *rest in found}
    said = f"SELECT claim, agent, label FROM claim_agents WHERE claim IN ({', '.join('?' * len(claims))})"
    for n, iri, label in con.execute(said + (" AND agent = ?" if agent else "") + " ORDER BY rowid",
                                     [*claims, *([agent] if agent else [])]):  # fmt: skip
        claims[n]["agents"].append((iri, label))
    for claim in claims.values():
        claim["hedged"] = bool(claim["hedged"])
    return list(claims.values())


def claims_speaker(con: sqlite3.Connection, slug: str | None, agent: str | None) -> tuple[str, str] | None:
    """The agent (IRI, label) who makes the most of the claims of ``claims_page``'s filter (ties: the
    first IRI), or None when there are none: a page names them once. Found at build for each status
    (``claim_speakers``); with an agent, that agent."""
    if agent:  # the rows name that agent only: it is the speaker, if it says any of them
        where, values = _claims_filter(slug, agent)
        found = con.execute(
            f"SELECT a.agent, a.label FROM claim_agents a JOIN claims c ON c.rowid = a.claim "
            f"WHERE {where} AND a.agent = ? LIMIT 1",
            [*values, agent],
        ).fetchone()
    else:
        found = con.execute(
            "SELECT agent, label FROM claim_speakers WHERE slug = ?", (slug or "",)
        ).fetchone()
    return (found[0], found[1]) if found else None


def read_rows(release_folder: Path, name: str, offset: int, limit: int) -> list[dict[str, Any]]:
    """Rows ``offset`` to ``offset + limit`` of listing table ``name`` of the release in
    ``release_folder``, in the listing's order (read by rowid: the cost of a page, not of the listing).

    Raises:
        StoreUnavailable: the release was built before its listing tables were (``REMEDY``).
    """
    if name not in {listing_name(k) for k in LISTED}:  # the name goes into the SQL: only known ones
        raise KeyError(name)
    con = open_paged(release_folder, name)
    try:
        found = con.execute(
            f'SELECT {_NAMES} FROM "{name}" WHERE rowid > ? ORDER BY rowid LIMIT ?',
            (offset, limit),
        )
        return [dict(zip(COLUMNS, row, strict=True)) for row in found]
    finally:
        con.close()


def read_table(release_folder: Path, name: str) -> list[dict[str, Any]]:
    """The rows of table ``name`` of the release in ``release_folder``.

    Raises:
        StoreUnavailable: the release was built before its tables were (``REMEDY``).
    """
    body = json.loads(stored(release_folder, f"{name}.json", name).read_text(encoding="utf-8"))
    columns = body["columns"]
    return [dict(zip(columns, row, strict=True)) for row in body["rows"]]
