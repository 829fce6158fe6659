"""The events of the timeline: every event a claim asserts, with its time as the data give it, the
claims behind it (status, summary, who says so) and the source's wording of vague times.

Made from the rows of timeline.rq by build (``events_of``) and written, in the timeline's order, into
the release's ``tables/paged.sqlite`` with the statuses of each event's claims (``write_events``); a
page reads the events it shows, filtered by status by index (``events_page``), never the whole
timeline (93,450 events at 10M)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from nexus_ld.pipeline.publish.network import slug
from nexus_ld.pipeline.publish.tables import usual_speaker


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


EVENTS_SCHEMA = """
CREATE TABLE events (year INTEGER, data TEXT);
CREATE TABLE event_claims (event INTEGER, slug TEXT, agent TEXT, label TEXT);
CREATE INDEX event_claims_by_status ON event_claims (slug, event);
"""


def _encode(e: Event) -> str:
    claims = [[c.iri, c.slug, c.status_label, c.summary, c.hedged, list(c.agents.items()), list(c.time_texts)]
              for c in e.claims.values()]  # fmt: skip
    return json.dumps([e.iri, e.label, e.kind, e.when, e.year, claims], ensure_ascii=False)


def _decode(data: str) -> Event:
    iri, label, kind, when, year, claims = json.loads(data)
    return Event(iri, label, kind, when, year, {
        c[0]: EventClaim(c[0], c[1], c[2], c[3], c[4], dict(map(tuple, c[5])), tuple(c[6])) for c in claims
    })  # fmt: skip


def write_events(con: sqlite3.Connection, rows: Iterable[dict[str, Any]]) -> int:
    """The events of timeline.rq's ``rows`` into ``con``, in the timeline's order (rowid), each with
    the status and agents of its claims (indexed by status); how many."""
    con.executescript(EVENTS_SCHEMA)
    events = events_of(rows)
    con.executemany("INSERT INTO events (rowid, year, data) VALUES (?, ?, ?)",
                    ((n, e.year, _encode(e)) for n, e in enumerate(events, 1)))  # fmt: skip
    said = (
        (n, c.slug, a, label)
        for n, e in enumerate(events, 1)
        for c in e.claims.values()
        for a, label in c.agents.items()
    )
    con.executemany("INSERT INTO event_claims VALUES (?, ?, ?, ?)", said)
    return len(events)


def _filter(statuses: list[str] | None) -> tuple[str, list[str]]:
    """The WHERE clause on ``events e`` of the events with a claim of ``statuses`` (None: any)."""
    if statuses is None:
        return "1", []
    marks = ", ".join("?" * len(statuses))
    return f"e.rowid IN (SELECT event FROM event_claims WHERE slug IN ({marks}))", list(statuses)


def events_count(con: sqlite3.Connection, statuses: list[str] | None) -> int:
    """How many events a claim of ``statuses`` asserts (None: every status)."""
    where, values = _filter(statuses)
    return int(con.execute(f"SELECT count(*) FROM events e WHERE {where}", values).fetchone()[0])


def events_page(con: sqlite3.Connection, statuses: list[str] | None, offset: int, limit: int) -> list[Event]:
    """Events ``offset`` to ``offset + limit`` of ``events_count``'s, in the timeline's order, each
    with the claims of ``statuses`` only (``with_statuses``)."""
    where, values = _filter(statuses)
    found = con.execute(f"SELECT data FROM events e WHERE {where} ORDER BY e.rowid LIMIT ? OFFSET ?",
                        [*values, limit, offset])  # fmt: skip
    events = [_decode(data) for (data,) in found]
    return events if statuses is None else with_statuses(events, statuses)


def events_speaker(con: sqlite3.Connection, statuses: list[str] | None) -> tuple[str, str] | None:
    """Who makes the most of the claims of ``statuses`` (None: all) over the events (as
    ``usual_speaker`` counts them: once per claim of an event)."""
    where = "1" if statuses is None else f"slug IN ({', '.join('?' * len(statuses))})"
    said = f"SELECT agent, label, count(*) FROM event_claims WHERE {where} GROUP BY agent, label"
    return usual_speaker({(agent, label): n for agent, label, n in con.execute(said, statuses or [])})
