"""The events of the timeline: every event a claim asserts, with its time as the data give it, the
claims behind it (status, summary, who says so) and the source's wording of vague times."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from nexus_ld.store.embedded import Store
from nexus_ld.web.models.network import slug, text, year_of


@dataclass
class Event:
    iri: str
    label: str
    kind: str
    when: str  # the time as the data give it: "2014", "2018-06", "2020 – 2021"
    year: int | None
    time_texts: list[str] = field(default_factory=list)
    claims: dict[str, dict[str, Any]] = field(default_factory=dict)


def load_events(store: Store, statuses: Iterable[str] | None = None) -> list[Event]:
    """Events asserted by claims (of ``statuses``, or any), dated ones by time, then undated ones."""
    wanted = set(statuses) if statuses is not None else None
    events: dict[str, Event] = {}
    for r in store.named("timeline"):
        status = slug(r["status"].value)
        if wanted is not None and status not in wanted:
            continue
        iri = r["event"].value
        begin, end, instant, inside = (text(r[k]) for k in ("begin", "end", "instant", "inside"))
        when = instant or (
            f"{begin} – {end}" if begin and end else begin or (f"until {end}" if end else inside)
        )
        event = events.setdefault(
            iri, Event(iri, text(r["label"]) or slug(iri), text(r["typeLabel"]) or slug(r["type"].value),
                       when or "", None),
        )  # fmt: skip
        year = year_of(r["year"])
        if year is not None and (event.year is None or year < event.year):
            event.year = year
        worded = text(r["timeText"])
        if worded and worded not in event.time_texts:
            event.time_texts.append(worded)
        claim = event.claims.setdefault(
            r["claim"].value,
            {"iri": r["claim"].value, "slug": status, "status_label": text(r["statusLabel"]) or status,
             "summary": r["summary"].value, "hedged": text(r["hedged"]) == "true", "agents": {}},
        )  # fmt: skip
        claim["agents"].setdefault(r["agent"].value, text(r["agentLabel"]) or slug(r["agent"].value))
    return sorted(events.values(), key=lambda e: (e.year is None, e.year or 0, e.when, e.label.lower()))
