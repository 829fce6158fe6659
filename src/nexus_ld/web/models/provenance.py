"""Who contributed a published claim and who accepted it: the ``nx:Contribution`` records written when a
maintainer accepts a contribution (``contributions/review.py``), read for a page in one query."""

from __future__ import annotations

from dataclasses import dataclass

import pyoxigraph as ox

from nexus_ld.store.embedded import ReadStore


@dataclass(frozen=True)
class ContributionNote:
    """``contributed by <contributor>, accepted by <editor> on <accepted>`` for one claim."""

    record: str  # the record's IRI (<base>id/contribution/<id>)
    id: str
    contributor: str  # empty when the submitter gave no name
    editor: str
    submitted: str  # ISO 8601 date-times, as recorded
    accepted: str


def contribution_notes(store: ReadStore, iri: str) -> dict[str, list[ContributionNote]]:
    """The contribution records of the claims the page of ``iri`` shows, by claim IRI
    (``queries/contribution-notes.rq``)."""
    notes: dict[str, list[ContributionNote]] = {}
    for row in store.named("contribution-notes", {"r": ox.NamedNode(iri)}):
        notes.setdefault(row["claim"].value, []).append(
            ContributionNote(
                record=row["record"].value,
                id=row["id"].value,
                contributor=_text(row["contributor"]),
                editor=row["editor"].value,
                submitted=_text(row["submitted"]),
                accepted=row["accepted"].value,
            )
        )
    return notes


def _text(term: ox.Literal | None) -> str:
    return term.value if term is not None else ""
