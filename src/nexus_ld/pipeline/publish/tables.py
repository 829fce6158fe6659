"""The page tables: what a page would otherwise sort or read in full on every request — the timeline,
the network, the claims, each listing in its order — computed once by ``build`` into the release's
``tables/`` folder (one JSON file per table), never per request. Over a million triples each of these
queries reads every event, edge, claim or member (0.3–3 s: docs/performance.md); a page then reads its
table once per release and cuts its slice in memory.

The listings are read a page at a time, never whole (a page shows 50 of 95,000 events at 10M): they
go into one SQLite file (``listings.sqlite``, a table per listing whose rowid is the listing's order),
from which a page reads its rows by rowid (``read_rows``). What a page filters or draws whole (the
claims, the timeline, the network) stays JSON, read once per release (``read_table``).

The tables sit beside release.json, so a server over a remote store (``serve --store URL``) reads the
same ones as over the embedded store: the pages are the same whichever store answers ``/sparql``.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from nexus_ld.errors import StoreUnavailable
from nexus_ld.pipeline.publish.counts import listing_row
from nexus_ld.store.embedded import Store

FOLDER = "tables"
LISTINGS = "listings.sqlite"  # in FOLDER: the listing tables, read by page
COLUMNS = ("iri", "label", "types", "claims", "when")  # of a listing row (counts.listing_row)
_NAMES = ", ".join(f'"{c}"' for c in COLUMNS)  # quoted: "when" is an SQL keyword
# The named queries whose whole answer a page reads: their rows, as plain values, in the query's order.
QUERIES = (
    "timeline",
    "claims",
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
    (folder / LISTINGS).unlink(missing_ok=True)
    con = sqlite3.connect(folder / LISTINGS)
    try:
        with con:
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


def read_rows(release_folder: Path, name: str, offset: int, limit: int) -> list[dict[str, Any]]:
    """Rows ``offset`` to ``offset + limit`` of listing table ``name`` of the release in
    ``release_folder``, in the listing's order (read by rowid: the cost of a page, not of the listing).

    Raises:
        StoreUnavailable: the release was built before its listing tables were (``REMEDY``).
    """
    path = release_folder / FOLDER / LISTINGS
    if not path.is_file():
        raise StoreUnavailable(f"this release has no page table {name!r} ({FOLDER}/{LISTINGS}); {REMEDY}")
    if name not in {listing_name(k) for k in LISTED}:  # the name goes into the SQL: only known ones
        raise KeyError(name)
    # immutable: a release's tables are written before it is published, never after.
    con = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro&immutable=1", uri=True)
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
    path = release_folder / FOLDER / f"{name}.json"
    try:
        body = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise StoreUnavailable(
            f"this release has no page table {name!r} ({FOLDER}/{name}.json); {REMEDY}"
        ) from None
    columns = body["columns"]
    return [dict(zip(columns, row, strict=True)) for row in body["rows"]]
