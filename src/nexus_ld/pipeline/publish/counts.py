"""What the pages count over the whole release — members per class, claims per status, the groups
most claims concern — computed once by ``build`` into release.json (``site``), never per request: over
a million triples each of these reads every member or every claim (0.1–2 s: docs/performance.md)."""

from __future__ import annotations

from typing import Any

import pyoxigraph as ox

from nexus_ld.store.embedded import Store

ENTRY_GROUPS = 8  # the groups the home page starts from: those most claims concern


def listing_row(row: Any) -> dict[str, Any]:
    """One row of ``listing.rq`` as plain values (a member without a label is named by its IRI's end)."""
    iri = row["x"].value
    return {
        "iri": iri,
        "label": row["label"].value if row["label"] is not None else iri.rsplit("/", 1)[-1],
        "types": row["types"].value if row["types"] is not None else "",
        "claims": int(row["claims"].value),
        "when": row["when"].value if row["when"] is not None else "",
    }


def site_counts(store: Store) -> dict[str, Any]:
    """``members``: class IRI -> members (entailed types count); ``statuses``: each status with its
    label and claims, most used first; ``groups``: the ``ENTRY_GROUPS`` armed groups most claims concern
    (ties in the listing's order)."""
    groups = store.named("listing", {"class": ox.NamedNode(store.prefixes["nx"] + "ArmedGroup")})
    return {
        "members": {r["class"].value: int(r["members"].value) for r in store.named("class-counts")},
        "statuses": [
            {
                "status": r["status"].value,
                "label": r["label"].value if r["label"] is not None else None,
                "claims": int(r["claims"].value),
            }
            for r in store.named("claim-statuses")
        ],
        "groups": sorted((listing_row(r) for r in groups), key=lambda g: -g["claims"])[:ENTRY_GROUPS],
    }
