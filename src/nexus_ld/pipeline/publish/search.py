"""Full-text search over labels, alternative labels, quoted passages and claim summaries.

``build`` writes an SQLite FTS5 index (``build/search.sqlite``) from the ``search-*.rq`` queries;
the server opens it read-only (``immutable``: the build folder never changes once swapped in), so any
number of processes share it and a query costs an index lookup, not a scan of the store.

Any user text is accepted: it is first tried as an FTS5 query (``"a phrase"``, ``OR``, ``NOT``,
``prefix*``), and when FTS5 cannot parse it, it is searched as plain words (each whitespace-separated
chunk a phrase, so ``al-Qaeda`` finds "al Qaeda").
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nexus_ld.errors import BadRequest, StoreUnavailable
from nexus_ld.store.embedded import Store

INDEX_FILE = "search.sqlite"
MAX_QUERY_CHARS = 500
MAX_LIMIT = 100
MAX_OFFSET = 10_000
SNIPPET_TOKENS = 40  # longer passages are cut around the match
OPEN, CLOSE = "\x02", "\x03"  # highlight markers; removed from the indexed text so they are unambiguous

# kind -> band of rowids: names first, then summaries, then passages. Within a band, rows are numbered
# shortest text first. FTS5 returns matches in rowid order, so `ORDER BY rowid LIMIT n` stops after n
# rows: no score is computed and no row is read past the page (a sort by BM25 reads every match:
# 130 ms instead of a few for a common word at a million triples). For the AND of words that FTS5
# answers, BM25 orders mostly by length anyway, and a text equal to the query comes first.
KINDS: dict[str, int] = {"label": 0, "altLabel": 0, "claim": 1, "quote": 2}
BAND = 1 << 40
SHARED = {k for k in KINDS if list(KINDS.values()).count(KINDS[k]) > 1}  # kinds that share a band
NX_CLAIM = "ontology#Claim"  # under the build's base

SCHEMA = """
CREATE VIRTUAL TABLE entries USING fts5(
    text, kind UNINDEXED, iri UNINDEXED, label UNINDEXED, types UNINDEXED,
    status UNINDEXED, status_label UNINDEXED,
    tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);
"""
COLUMNS = "rowid, text, kind, iri, label, types, status, status_label"
WHERE = "entries MATCH :q AND rowid BETWEEN :low AND :high AND (:kind IS NULL OR kind = :kind)"
SELECT = f"""
SELECT snippet(entries, 0, '{OPEN}', '{CLOSE}', '…', {SNIPPET_TOKENS}), text, kind, iri, label, types,
       status, status_label
FROM entries WHERE {WHERE}
ORDER BY rowid LIMIT :limit OFFSET :offset
"""
COUNT = f"SELECT count(*) FROM entries WHERE {WHERE}"


@dataclass(frozen=True)
class Hit:
    """One match: the resource (an entity, or the claim of a quote or summary) and the matched text.

    ``segments`` is the matched text (cut around the match when long) as ``(text, matched)`` pairs,
    so that every renderer escapes the text and marks the match its own way.
    """

    iri: str
    kind: str
    text: str
    segments: tuple[tuple[str, bool], ...]
    label: str
    types: tuple[str, ...]
    status: str | None = None
    status_label: str | None = None


@dataclass(frozen=True)
class Page:
    """One page of hits for ``query``; ``total`` counts all of them."""

    query: str
    kind: str | None
    total: int
    limit: int
    offset: int
    hits: list[Hit] = field(default_factory=list)

    @property
    def next_offset(self) -> int | None:
        return self.offset + self.limit if self.offset + self.limit < self.total else None

    @property
    def previous_offset(self) -> int | None:
        return max(0, self.offset - self.limit) if self.offset > 0 else None


def _clean(text: str) -> str:
    return text.replace(OPEN, " ").replace(CLOSE, " ")


def _value(term: Any) -> str | None:
    return None if term is None else term.value


def _rows(store: Store) -> Iterator[tuple[Any, ...]]:
    """Index rows (``COLUMNS`` but the rowid) from the store's ``search-*.rq`` queries."""
    claim_type = store.base + NX_CLAIM
    for r in store.named("search-labels"):
        kind = r["kind"].value
        text = r["text"].value
        label = _value(r["label"]) or text
        yield (_clean(text), kind, r["r"].value, label, _value(r["types"]) or "", None, None)
    for r in store.named("search-claims"):
        status, status_label = r["status"].value, _value(r["statusLabel"])
        summary = r["text"].value
        yield (
            _clean(summary),
            "claim",
            r["claim"].value,
            summary,
            claim_type,
            status,
            status_label,
        )
    for r in store.named("search-quotes"):
        status, status_label = r["status"].value, _value(r["statusLabel"])
        yield (
            _clean(r["text"].value),
            "quote",
            r["claim"].value,
            r["summary"].value,
            claim_type,
            status,
            status_label,
        )


def _numbered(store: Store) -> Iterator[tuple[Any, ...]]:
    """The index rows with their rowids: each kind's band, shortest text first (then by text, IRI)."""
    rows = sorted(_rows(store), key=lambda r: (KINDS[r[1]], len(r[0]), r[0].lower(), r[2]))
    counters: dict[int, int] = {}
    for row in rows:
        band = KINDS[row[1]]
        counters[band] = counters.get(band, 0) + 1
        yield (band * BAND + counters[band], *row)


def write_index(store: Store, path: Path, release: str = "") -> int:
    """Write the search index of ``store`` to ``path`` (replacing it); returns the number of entries.

    :param release: the release id recorded in the index (default: the store's).
    """
    path = Path(path)
    path.unlink(missing_ok=True)
    con = sqlite3.connect(path)
    try:
        with con:
            con.executescript(SCHEMA)
            con.executemany(
                f"INSERT INTO entries ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", _numbered(store)
            )
            count = con.execute("SELECT count(*) FROM entries").fetchone()[0]
            con.execute(
                "INSERT INTO meta VALUES ('release', ?)", (release or store.release.get("release", ""),)
            )
            con.execute(
                "INSERT INTO entries(entries) VALUES ('optimize')"
            )  # one b-tree per term: faster reads
    finally:
        con.close()
    return count


def plain_query(text: str) -> str:
    """``text`` as an FTS5 query that always parses: each run of word characters (joined by hyphens,
    apostrophes or dots: ``al-Qaeda``) a quoted phrase, all of them required."""
    chunks = re.findall(r"\w+(?:[-'’.]\w+)*", text)
    return " ".join('"' + c.replace('"', '""') + '"' for c in chunks)


def segments(marked: str) -> tuple[tuple[str, bool], ...]:
    """Split FTS5 snippet output (matches between ``OPEN`` and ``CLOSE``) into ``(text, matched)``."""
    out: list[tuple[str, bool]] = []
    for part in re.split(f"({OPEN}[^{CLOSE}]*{CLOSE})", marked):
        if part.startswith(OPEN):
            out.append((part[1:-1], True))
        elif part:
            out.append((part, False))
    return tuple(out)


def open_index(path: Path) -> sqlite3.Connection:
    """The index at ``path``, read-only.

    Raises:
        StoreUnavailable: when the build has no search index (503: rebuild).
    """
    if not Path(path).is_file():
        raise StoreUnavailable(f"no search index at {path}: run `nexus-ld build` to write it")
    # immutable: the build folder is swapped in whole and never written again, so no locks are needed.
    return sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro&immutable=1", uri=True)


def _check(q: str, limit: int, offset: int, kind: str | None) -> str:
    q = q.strip()
    if not q:
        raise BadRequest("give the words to search for: q=…")
    if len(q) > MAX_QUERY_CHARS:
        raise BadRequest(f"the search text is {len(q)} characters; at most {MAX_QUERY_CHARS} are accepted")
    if not 1 <= limit <= MAX_LIMIT:
        raise BadRequest(f"limit must be between 1 and {MAX_LIMIT}, not {limit}")
    if not 0 <= offset <= MAX_OFFSET:
        raise BadRequest(f"offset must be between 0 and {MAX_OFFSET}, not {offset}; narrow the search")
    if kind is not None and kind not in KINDS:
        raise BadRequest(f"kind must be one of {', '.join(KINDS)}, not {kind!r}")
    return q


def search(path: Path, q: str, limit: int = 20, offset: int = 0, kind: str | None = None) -> Page:
    """The hits for ``q`` (user text) in the index at ``path``: names, then summaries, then passages,
    each shortest text first (a text equal to ``q`` leads).

    Raises:
        BadRequest: an empty or too long ``q``, a bad ``limit``, ``offset`` or ``kind``.
        StoreUnavailable: no index in the build.
    """
    q = _check(q, limit, offset, kind)
    con = open_index(path)
    try:
        band = KINDS.get(kind or "")
        low, high = (0, len(KINDS) * BAND) if band is None else (band * BAND, (band + 1) * BAND - 1)
        params = {
            "q": q,
            "kind": kind if kind in SHARED else None,
            "limit": limit,
            "offset": offset,
            "low": low,
            "high": high,
        }
        try:
            total = con.execute(COUNT, params).fetchone()[0]
        except sqlite3.OperationalError:
            # Not FTS5 syntax (an unbalanced quote, a bare operator, a "column:" filter …): plain words.
            params["q"] = plain_query(q)
            if not params["q"]:
                return Page(q, kind, 0, limit, offset)
            total = con.execute(COUNT, params).fetchone()[0]
        rows = con.execute(SELECT, params).fetchall() if total > offset else []
    finally:
        con.close()
    hits = [
        Hit(iri, k, text, segments(marked), label, tuple(types.split()), status, status_label)
        for marked, text, k, iri, label, types, status, status_label in rows
    ]
    return Page(q, kind, total, limit, offset, hits)


def index_release(path: Path) -> str | None:
    """The release id the index at ``path`` was written for (None without an index)."""
    if not Path(path).is_file():
        return None
    con = open_index(path)
    try:
        row = con.execute("SELECT value FROM meta WHERE key = 'release'").fetchone()
    finally:
        con.close()
    return row[0] if row else None
