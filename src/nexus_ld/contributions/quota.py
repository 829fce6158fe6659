"""What may wait for review: pending contributions in all (507), from one client address (429) and their
bytes (507), counted in the inbox's transaction that stores a new one (``inbox.Inbox.add``)."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any

from nexus_ld.errors import NexusError


class TooManyPending(NexusError):
    """One client has as many pending contributions as the quota allows."""

    status, title = 429, "Too many pending contributions"


class InboxFull(NexusError):
    """The inbox holds as many pending contributions (or bytes) as the quota allows."""

    status, title = 507, "Inbox full"


@dataclass(frozen=True)
class Quota:
    """The most pending contributions in all, from one client, and their bytes (0: no limit)."""

    max_pending: int = 0
    max_per_client: int = 0
    max_bytes: int = 0

    @classmethod
    def from_settings(cls, settings: Any) -> Quota:
        return cls(
            settings.max_pending_contributions, settings.max_pending_per_client, settings.max_inbox_bytes
        )

    def check(self, db: sqlite3.Connection, client: str, size: int) -> None:
        """Refuse a new contribution of ``size`` bytes from ``client`` that would exceed the quota.

        Raises:
            TooManyPending: ``client`` has ``max_per_client`` pending contributions.
            InboxFull: the inbox has ``max_pending`` pending contributions or would exceed ``max_bytes``.
        """
        pending, stored = db.execute(
            "SELECT count(*), coalesce(sum(size), 0) FROM contributions WHERE status = 'pending'"
        ).fetchone()
        if self.max_per_client:
            mine = db.execute(
                "SELECT count(*) FROM contributions WHERE status = 'pending' AND client = ?", (client,)
            ).fetchone()[0]
            if mine >= self.max_per_client:
                raise TooManyPending(
                    f"{mine} contributions from {client} are waiting for review, the most one client may "
                    "have (setting max_pending_per_client); submit more once they are decided",
                    headers={"Retry-After": "3600"},
                )
        if self.max_pending and pending >= self.max_pending:
            raise InboxFull(
                f"the inbox holds {pending} contributions waiting for review, its limit (setting "
                "max_pending_contributions); nothing was stored, try again later"
            )
        if self.max_bytes and stored + size > self.max_bytes:
            raise InboxFull(
                f"the inbox has no room for {size} more bytes of pending contributions (setting "
                "max_inbox_bytes); nothing was stored, try again later"
            )
