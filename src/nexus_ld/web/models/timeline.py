"""The events of the timeline: every event a claim asserts, with its time as the data give it, the
claims behind it (status, summary, who says so) and the source's wording of vague times.

Read from the build's ``timeline`` table (the rows of timeline.rq: pipeline/publish/tables.py), made
into events once per release; a request only chooses the statuses and cuts its page."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from nexus_ld.pipeline.publish.network import slug


@dataclass(frozen=True)
class EventClaim:
    iri: str
    slug: str  # of its status
    status_label: str
    summary: str
    hedged: bool
    agents: dict[str, str]  # agent IRI -> label
    time_texts: tuple[str, ...]  # the claim's nx:timeText, the source's wording of the time


@dataclass(frozen=True)
class Event:
    iri: str
    label: str
    kind: str
    when: str  # the time as the data give it: "2014", "2018-06", "2020 – 2021"
    year: int | None
    claims: dict[str, EventClaim] = field(default_factory=dict)

    @property
    def time_texts(self) -> list[str]:
        return list(dict.fromkeys(t for c in self.claims.values() for t in c.time_texts))


def _claim(r: dict[str, Any]) -> EventClaim:
    status = slug(r["status"])
    return EventClaim(
        r["claim"], status, r["statusLabel"] or status, r["summary"], r["hedged"] == "true", {}, ()
    )


def events_of(rows: Iterable[dict[str, Any]]) -> list[Event]:
    """The events of the timeline table's rows, dated ones by time, then undated ones."""
    events: dict[str, Event] = {}
    for r in rows:
        iri = r["event"]
        begin, end, instant, inside = (r[k] for k in ("begin", "end", "instant", "inside"))
        when = instant or (
            f"{begin} – {end}" if begin and end else begin or (f"until {end}" if end else inside)
        )
        event = events.setdefault(
            iri, Event(iri, r["label"] or slug(iri), r["typeLabel"] or slug(r["type"]), when or "", None)
        )
        year = int(r["year"]) if r["year"] is not None else None
        if year is not None and (event.year is None or year < event.year):
            events[iri] = event = replace(event, year=year)
        claim = event.claims.setdefault(r["claim"], _claim(r))
        claim.agents.setdefault(r["agent"], r["agentLabel"] or slug(r["agent"]))
        if r["timeText"] and r["timeText"] not in claim.time_texts:
            event.claims[r["claim"]] = replace(claim, time_texts=(*claim.time_texts, r["timeText"]))
    return sorted(events.values(), key=lambda e: (e.year is None, e.year or 0, e.when, e.label.lower()))


def with_statuses(events: Iterable[Event], statuses: Iterable[str]) -> list[Event]:
    """The events asserted by claims of ``statuses``, each with those claims only (in their order)."""
    wanted = set(statuses)
    kept = []
    for e in events:
        claims = {k: c for k, c in e.claims.items() if c.slug in wanted}
        if claims:
            kept.append(replace(e, claims=claims) if len(claims) < len(e.claims) else e)
    return kept
