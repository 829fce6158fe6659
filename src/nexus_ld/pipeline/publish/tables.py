"""The page tables: what a page would otherwise sort or read in full on every request — the timeline,
the network, the claims, each listing in its order — computed once by ``build`` into the release's
``tables/`` folder (one JSON file per table), never per request. Over a million triples each of these
queries reads every event, edge, claim or member (0.3–3 s: docs/performance.md); a page then reads its
table once per release and cuts its slice in memory.

The tables sit beside release.json, so a server over a remote store (``serve --store URL``) reads the
same ones as over the embedded store: the pages are the same whichever store answers ``/sparql``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from nexus_ld.errors import StoreUnavailable
from nexus_ld.pipeline.publish.counts import listing_row
from nexus_ld.store.embedded import Store

FOLDER = "tables"
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
    tables: dict[str, list[Any]] = {name: plain_rows(store.named(name)) for name in QUERIES}
    for kind, curie in LISTED.items():
        prefix, local = curie.split(":", 1)
        members = store.named("listing", {"class": ox.NamedNode(store.prefixes[prefix] + local)})
        tables[listing_name(kind)] = [listing_row(r) for r in members]
    for name, rows in tables.items():
        _write(folder, name, rows)
        written[name] = len(rows)
    return written


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
