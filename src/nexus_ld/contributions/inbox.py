"""The inbox: contributions that conform, stored durably until a maintainer accepts or rejects them.

SQLite in WAL mode with ``synchronous=FULL``: a row is written in one transaction, so after the
``COMMIT`` returns it survives a killed process (``kill -9``) or a power cut, and a half-written row
never becomes visible. Each row keeps the body byte for byte, when it was received, its size,
SHA-256, format, the submitter's note and the validation report. A body already in the inbox
(same SHA-256) is a duplicate (409), whatever its status.

A ``Quota`` (``quota.py``) bounds what waits for review: pending contributions in all (507), from one
client address (429) and their bytes (507), checked in the transaction that stores a new one. The
client address is kept only while a contribution is pending (the quota needs it); deciding it forgets
the address.

The *described* index (``described``) holds, for each accepted contribution, the IRIs its file describes
(as subjects): accepting asks it which of a contribution's IRIs another accepted one already describes,
one indexed lookup per IRI, instead of reading every accepted file. Accepting writes its rows in the
transaction that marks the contribution accepted; an inbox without the index (made before it, or copied
without it) has it rebuilt from the files (``contributions.review.described_index``).
"""

from __future__ import annotations

import json
import secrets
import sqlite3
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

from nexus_ld.contributions.quota import Quota
from nexus_ld.errors import BadRequest, NexusError, NotFound

STATUSES = ("pending", "accepted", "rejected")
MAX_NOTE_CHARS = 2_000
MAX_CONTRIBUTOR_CHARS = 200

SCHEMA = """
CREATE TABLE IF NOT EXISTS contributions (
    id          TEXT PRIMARY KEY,
    received    TEXT NOT NULL,
    size        INTEGER NOT NULL,
    sha256      TEXT NOT NULL UNIQUE,
    format      TEXT NOT NULL,
    note        TEXT NOT NULL DEFAULT '',
    body        BLOB NOT NULL,
    report      TEXT NOT NULL,
    status      TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'accepted', 'rejected')),
    decided     TEXT,
    decided_by  TEXT,
    reason      TEXT,
    file        TEXT,
    client      TEXT NOT NULL DEFAULT '',
    contributor TEXT NOT NULL DEFAULT '',
    digest      TEXT NOT NULL DEFAULT '',
    digest_release TEXT NOT NULL DEFAULT '',
    validated_release TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS contributions_status ON contributions (status, received);
CREATE TABLE IF NOT EXISTS described (
    iri         TEXT NOT NULL,
    entry       TEXT NOT NULL,
    file        TEXT NOT NULL,
    minted      INTEGER NOT NULL,  -- 1: the store did not have the IRI when it was accepted
    PRIMARY KEY (iri, entry)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS built (name TEXT PRIMARY KEY);
"""
DESCRIBED_INDEX = "described"  # its row in ``built``: the index is complete
# Inboxes made before the quota lack the client column; before the review page, the contributor; before
# the kept digests, digest and digest_release; before the minting check by release, validated_release.
MIGRATIONS = {
    "client": "ALTER TABLE contributions ADD COLUMN client TEXT NOT NULL DEFAULT ''",
    "contributor": "ALTER TABLE contributions ADD COLUMN contributor TEXT NOT NULL DEFAULT ''",
    "digest": "ALTER TABLE contributions ADD COLUMN digest TEXT NOT NULL DEFAULT ''",
    "digest_release": "ALTER TABLE contributions ADD COLUMN digest_release TEXT NOT NULL DEFAULT ''",
    "validated_release": "ALTER TABLE contributions ADD COLUMN validated_release TEXT NOT NULL DEFAULT ''",
}


class Duplicate(NexusError):
    """The same body was submitted before."""

    status, title = 409, "Duplicate contribution"

    def __init__(self, existing: Entry) -> None:
        super().__init__(
            f"this exact contribution was already received as {existing.id} ({existing.status}); "
            f"see /contributions/{existing.id}",
            headers={"Location": f"/contributions/{existing.id}"},
        )
        self.existing = existing


class NotPending(NexusError):
    status, title = 409, "Already decided"


@dataclass(frozen=True)
class Entry:
    """One contribution in the inbox."""

    id: str
    received: str
    size: int
    sha256: str
    format: str
    note: str
    status: str
    report: dict[str, Any]
    decided: str | None = None
    decided_by: str | None = None
    reason: str | None = None
    file: str | None = None
    contributor: str = ""  # who the submitter says they are (shown as "contributed by" once published)
    body: bytes = b""
    # What the review page shows of it (contributions/digest.py, JSON) and the release it was made on.
    digest: str = ""
    digest_release: str = ""
    # The release it was validated against when received ('' before this was kept): what it could see.
    validated_release: str = ""

    def summary(self) -> dict[str, Any]:
        """The public view: everything but the body."""
        return {
            "id": self.id,
            "status": self.status,
            "received": self.received,
            "size": self.size,
            "sha256": self.sha256,
            "format": self.format,
            "note": self.note,
            "contributor": self.contributor,
            "decided": self.decided,
            "decided_by": self.decided_by,
            "reason": self.reason,
            "file": self.file,
            "report": self.report,
        }


class Described(NamedTuple):
    """An accepted contribution that describes an IRI (a row of the described index)."""

    entry: str
    file: str  # relative to the project: data/contributions/<id>.ttl
    accepted: str  # when ('' for a file no contribution of this inbox wrote)
    minted: bool  # the store did not have the IRI when it was accepted


def new_id() -> str:
    """A new contribution id: the day and 128 random bits (``20260101-`` + 32 hex digits). Knowing an id
    lets one read a pending source's text (``/compose/pending/<id>``), so ids cannot be guessed or
    enumerated; ids of 32 bits, made before, still resolve."""
    return f"{datetime.now(UTC):%Y%m%d}-{secrets.token_hex(16)}"


def now() -> str:
    """The current UTC time, ISO 8601 to the second (what the inbox records)."""
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


class Inbox:
    """The SQLite inbox at ``path`` (created on first use). Safe to share between threads and processes."""

    def __init__(self, path: str | Path, quota: Quota | None = None) -> None:
        self.path = Path(path)
        self.quota = quota or Quota()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.executescript(SCHEMA)
            columns = {row["name"] for row in db.execute("PRAGMA table_info(contributions)")}
            for column, statement in MIGRATIONS.items():
                if column not in columns:
                    db.execute(statement)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=FULL")  # a COMMIT is on disk when it returns
            db.row_factory = sqlite3.Row
            yield db
        finally:
            db.close()

    def check_room(self, client: str, size: int) -> None:
        """Refuse early (before validating) what the quota would refuse when storing (``Quota.check``)."""
        with self._connect() as db:
            self.quota.check(db, client, size)

    def add(
        self,
        *,
        body: bytes,
        sha256: str,
        fmt: str,
        report: dict[str, Any],
        note: str = "",
        client: str = "",
        contributor: str = "",
        digest: tuple[str, str] = ("", ""),
        validated_release: str = "",
    ) -> Entry:
        """Store a conforming contribution from ``client`` as pending, in one transaction, with its
        ``digest`` (the JSON text and the release it was made on) when the caller has one, and the
        release it was validated against.

        Raises:
            Duplicate: a contribution with the same SHA-256 is in the inbox.
            BadRequest: the note or the contributor's name is too long.
            TooManyPending, InboxFull: over the quota (``Quota.check``).
        """
        if len(note) > MAX_NOTE_CHARS:
            raise BadRequest(f"the note has {len(note)} characters; at most {MAX_NOTE_CHARS}")
        if len(contributor) > MAX_CONTRIBUTOR_CHARS:
            raise BadRequest(
                f"the contributor's name has {len(contributor)} characters; at most {MAX_CONTRIBUTOR_CHARS}"
            )
        entry_id = new_id()
        received = now()
        with self._connect() as db:
            try:
                db.execute("BEGIN IMMEDIATE")  # the quota is counted and kept in one transaction
                self.quota.check(db, client, len(body))
                db.execute(
                    "INSERT INTO contributions "
                    "(id, received, size, sha256, format, note, body, report, client, contributor, "
                    "digest, digest_release, validated_release) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        entry_id,
                        received,
                        len(body),
                        sha256,
                        fmt,
                        note,
                        body,
                        json.dumps(report),
                        client,
                        contributor,
                        *digest,
                        validated_release,
                    ),
                )
                db.execute("COMMIT")
            except NexusError:
                db.execute("ROLLBACK")
                raise
            except sqlite3.IntegrityError:
                db.execute("ROLLBACK")
                existing = self.find_sha256(sha256)
                if existing is None:  # pragma: no cover - an id collision: 1 in 2**128 per day
                    raise
                raise Duplicate(existing) from None
        return self.get(entry_id)

    def get(self, entry_id: str, *, with_body: bool = False) -> Entry:
        """The contribution ``entry_id``.

        Raises:
            NotFound: no such contribution.
        """
        with self._connect() as db:
            row = db.execute("SELECT * FROM contributions WHERE id = ?", (entry_id,)).fetchone()
        if row is None:
            raise NotFound(f"no contribution {entry_id!r}; `nexus-ld contributions list` shows them")
        return _entry(row, with_body)

    def find_sha256(self, sha256: str) -> Entry | None:
        with self._connect() as db:
            row = db.execute("SELECT * FROM contributions WHERE sha256 = ?", (sha256,)).fetchone()
        return _entry(row, False) if row else None

    def list(self, status: str | None = None) -> list[Entry]:
        """Contributions, oldest first, optionally only those with ``status``."""
        with self._connect() as db:
            if status:
                rows = db.execute(
                    "SELECT * FROM contributions WHERE status = ? ORDER BY received, id", (status,)
                )
            else:
                rows = db.execute("SELECT * FROM contributions ORDER BY received, id")
            return [_entry(row, False) for row in rows.fetchall()]

    def pending(self, limit: int) -> tuple[int, tuple[Entry, ...]]:
        """How many contributions are pending, and the oldest ``limit`` of them with their bodies: one
        connection for the review page (each connection costs about 0.7 ms)."""
        with self._connect() as db:
            total = db.execute("SELECT count(*) FROM contributions WHERE status = 'pending'").fetchone()[0]
            rows = db.execute(
                "SELECT * FROM contributions WHERE status = 'pending' ORDER BY received, id LIMIT ?", (limit,)
            ).fetchall()
        return total, tuple(_entry(row, True) for row in rows)

    def keep_digests(self, digests: Iterable[tuple[str, str, str]]) -> None:
        """Keep the digests (contribution id, JSON text, release) the review page made, in one transaction
        (only while the contribution is pending)."""
        with self._connect() as db:
            db.execute("BEGIN IMMEDIATE")
            db.executemany(
                "UPDATE contributions SET digest = ?, digest_release = ? WHERE id = ? AND status = 'pending'",
                [(text, release, entry_id) for entry_id, text, release in digests],
            )
            db.execute("COMMIT")

    def decide(
        self,
        entry_id: str,
        status: str,
        by: str,
        *,
        reason: str = "",
        file: str | None = None,
        described: Mapping[str, bool] | None = None,
    ) -> Entry:
        """Mark a pending contribution accepted or rejected (atomically; only once); an accepted one's
        ``file`` describes the IRIs ``described`` (IRI -> minted by it: new to the store), kept in the
        described index in the same transaction.

        Raises:
            NotFound: no such contribution.
            NotPending: it was already accepted or rejected.
        """
        if status not in ("accepted", "rejected"):
            raise BadRequest(f"status must be accepted or rejected, not {status!r}")
        with self._connect() as db:
            db.execute("BEGIN IMMEDIATE")
            changed = db.execute(
                "UPDATE contributions SET status = ?, decided = ?, decided_by = ?, reason = ?, file = ?, "
                "client = '' WHERE id = ? AND status = 'pending'",
                (status, now(), by, reason, file, entry_id),
            ).rowcount
            if changed and file:
                rows = [(iri, entry_id, file, minted) for iri, minted in (described or {}).items()]
                db.executemany("INSERT OR IGNORE INTO described VALUES (?, ?, ?, ?)", rows)
            db.execute("COMMIT")
        if not changed:
            entry = self.get(entry_id)
            raise NotPending(f"contribution {entry_id} was already {entry.status} ({entry.decided})")
        return self.get(entry_id)

    def index_built(self) -> bool:
        """Whether the described index is complete (``rebuild_index`` ran, or the inbox was made with it)."""
        with self._connect() as db:
            return db.execute("SELECT 1 FROM built WHERE name = ?", (DESCRIBED_INDEX,)).fetchone() is not None

    def rebuild_index(self, rows: Iterable[tuple[str, str, str, bool]]) -> None:
        """Replace the described index by ``rows`` (IRI, contribution id, file, minted), in one
        transaction."""
        with self._connect() as db:
            db.execute("BEGIN IMMEDIATE")
            db.execute("DELETE FROM described")
            db.executemany("INSERT OR IGNORE INTO described VALUES (?, ?, ?, ?)", rows)
            db.execute("INSERT OR IGNORE INTO built VALUES (?)", (DESCRIBED_INDEX,))
            db.execute("COMMIT")

    def described_by(self, iris: Iterable[str]) -> dict[str, tuple[Described, ...]]:
        """The accepted contributions whose files describe each of ``iris``, first accepted first; IRIs
        none describes are left out."""
        found: dict[str, tuple[Described, ...]] = {}
        with self._connect() as db:
            for iri in sorted(set(iris)):
                rows = db.execute(
                    "SELECT d.entry, d.file, coalesce(c.decided, ''), d.minted FROM described d "
                    "LEFT JOIN contributions c ON c.id = d.entry WHERE d.iri = ? ORDER BY 3, d.entry",
                    (iri,),
                ).fetchall()
                if rows:
                    found[iri] = tuple(Described(row[0], row[1], row[2], bool(row[3])) for row in rows)
        return found

    def count(self) -> int:
        with self._connect() as db:
            return db.execute("SELECT count(*) FROM contributions").fetchone()[0]


def _entry(row: sqlite3.Row, with_body: bool) -> Entry:
    return Entry(
        id=row["id"],
        received=row["received"],
        size=row["size"],
        sha256=row["sha256"],
        format=row["format"],
        note=row["note"],
        status=row["status"],
        report=json.loads(row["report"]),
        decided=row["decided"],
        decided_by=row["decided_by"],
        reason=row["reason"],
        file=row["file"],
        contributor=row["contributor"],
        body=bytes(row["body"]) if with_body else b"",
        digest=row["digest"] if with_body else "",
        digest_release=row["digest_release"] if with_body else "",
        validated_release=row["validated_release"],
    )
