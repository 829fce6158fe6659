"""Who contributed a published claim and who accepted it: the ``nx:Contribution`` records written when a
maintainer accepts a contribution (``contributions/review.py``), read from a page table made at build."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ContributionNote:
    """``contributed by <contributor>, accepted by <editor> on <accepted>`` for one claim."""

    record: str  # the record's IRI (<base>id/contribution/<id>)
    id: str
    contributor: str  # empty when the submitter gave no name
    editor: str
    submitted: str  # ISO 8601 date-times, as recorded
    accepted: str


def notes_by_claim(rows: list[dict[str, Any]]) -> dict[str, list[ContributionNote]]:
    """The contribution records by claim IRI, from the release's ``contribution-notes`` page table
    (``store/queries/contribution-notes.rq``, run by ``build``)."""
    notes: dict[str, list[ContributionNote]] = {}
    for row in rows:
        notes.setdefault(row["claim"], []).append(
            ContributionNote(
                record=row["record"],
                id=row["id"],
                contributor=row["contributor"] or "",
                editor=row["editor"],
                submitted=row["submitted"] or "",
                accepted=row["accepted"],
            )
        )
    return notes
