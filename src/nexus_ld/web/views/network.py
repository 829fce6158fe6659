"""Pictures of the data: the network of groups and people (/network, drawn by cytoscape.js from
/network.json) and the timeline of events (/timeline, server-rendered, readable without JavaScript).
The data come from ``nexus_ld.pipeline.publish.network`` and ``nexus_ld.pipeline.publish.timeline``, read
from the release's page tables a page at a time; this module reads the request parameters and renders."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from functools import partial
from pathlib import Path

from flask import Blueprint, Response, render_template, request

from nexus_ld.errors import BadRequest
from nexus_ld.pipeline.publish.network import DEFAULT_STATUSES, FILE, LEGEND
from nexus_ld.pipeline.publish.network_db import DB, Facts, answer, count, part, read_facts
from nexus_ld.pipeline.publish.tables import open_paged, stored
from nexus_ld.pipeline.publish.timeline import Event, events_count, events_page, events_speaker
from nexus_ld.web.caching import MAX_AGE
from nexus_ld.web.paging import page_of
from nexus_ld.web.state import current_state
from nexus_ld.web.views.dumps import send_stored
from nexus_ld.web.views.pages import claim_statuses

bp = Blueprint("network", __name__)

ALL = "all"


# --- request parameters -------------------------------------------------------------------------
def year_param(span: tuple[int, int] | None, default: int | None) -> int | None:
    """``?year=2014`` (an integer), or ``default`` when absent; 400 otherwise."""
    raw = request.args.get("year", "").strip()
    if not raw:
        return default
    if not raw.lstrip("-").isdigit() or len(raw) > 5:
        hint = f" between {span[0]} and {span[1]}" if span else ""
        raise BadRequest(f"year must be a year such as 2014{hint}, not {raw!r}")
    return int(raw)


def status_param(known: dict[str, str], default: Iterable[str]) -> list[str]:
    """``?status=allegation&status=reported-fact`` or ``?status=allegation,reported-fact`` or
    ``?status=all``; ``default`` when absent; 400 for a status no claim here has."""
    values = [v.strip() for raw in request.args.getlist("status") for v in raw.split(",") if v.strip()]
    if not values:
        return list(default)
    if ALL in values:
        return list(known)
    unknown = [v for v in values if v not in known]
    if unknown:
        raise BadRequest(f"unknown status {unknown[0]!r}; use {ALL!r} or any of: {', '.join(known)}")
    return values


def undated_param() -> bool:
    """``?undated=0`` leaves out the edges the data do not date (default: they are shown). The
    page's form sends a hidden 0 before its checkbox's 1, so any true value wins."""
    values = [v.strip().lower() for v in request.args.getlist("undated")] or ["1"]
    for raw in values:
        if raw not in ("0", "1", "true", "false"):
            raise BadRequest(f"undated must be 1 (show edges without a date) or 0 (hide them), not {raw!r}")
    return any(v in ("1", "true") for v in values)


# --- views --------------------------------------------------------------------------------------
def _open() -> tuple[sqlite3.Connection, Facts]:
    """The release's network tables, read-only, and their ``Facts`` (read once per release).

    Raises:
        StoreUnavailable: the release was built before them (``tables.stored``).
    """
    state = current_state()
    con = open_paged(state.folder, "network", DB)
    try:
        return con, state.once("network:facts", partial(read_facts, con))
    except BaseException:
        con.close()
        raise


def _closing(con: sqlite3.Connection, pieces: Iterator[bytes]) -> Iterator[bytes]:
    """``pieces``, then ``con`` closed (also when the client leaves before the end)."""
    try:
        yield from pieces
    finally:
        con.close()


def _stored() -> Path:
    """The release's /network.json without parameters, written by build.

    Raises:
        StoreUnavailable: the release was built before it was (``tables.stored``).
    """
    return stored(current_state().folder, FILE)


@bp.get("/network.json")
def network_json() -> Response:
    """The network as JSON: ``?year=`` (as of that year; absent: all years), ``?status=``
    (statuses whose claims draw an edge; default reported-fact, ``all`` for every one) and
    ``?undated=0`` (leave out edges the data do not date). Without parameters: the whole network
    as build wrote it (``tables/network.json``, or its gzip), sent as a file."""
    if not request.args:
        response = send_stored(_stored(), "application/json", MAX_AGE)
    else:
        con, facts = _open()
        try:
            year = year_param(facts.years, None)
            statuses = status_param(facts.statuses, DEFAULT_STATUSES)
            undated = undated_param()
        except BaseException:
            con.close()
            raise
        # Sent as it is read (83 MB at 10M triples for every status): the connection closes at its end.
        pieces = _closing(con, answer(con, facts, year, statuses, undated))
        response = Response(pieces, mimetype="application/json")
    response.headers["Link"] = '</network>; rel="alternate"; type="text/html"'
    return response


@bp.get("/network")
def network_page() -> str:
    """The network view; the form and the table below the picture work without JavaScript."""
    con, facts = _open()
    try:
        span = facts.years
        year = year_param(span, span[1] if span else None)
        statuses = status_param(facts.statuses, DEFAULT_STATUSES)
        undated = undated_param()
        # Counted over the edges' table (one scan, no objects made); the page's edges read by rowid.
        nodes, edges = count(con, facts, year, statuses, undated)
        page, pages, size = page_of(edges, current_state().settings.picture_page_size)
        shown = part(con, facts, year, statuses, undated, (page - 1) * size, size)
    finally:
        con.close()
    return render_template(
        "network.html", title="The network", statuses_known=facts.statuses, nodes=nodes, edges=edges,
        year=year, span=span, statuses=statuses, undated=undated, counts=facts.edges,
        categories=[entry for entry in LEGEND if entry[0] in facts.categories],
        rows=shown.edges, labels={iri: n.label for iri, n in shown.nodes.items()}, page=page, pages=pages,
    )  # fmt: skip


@bp.get("/timeline")
def timeline() -> str:
    """Events by year with the status of each claim and who makes it; undated events apart (after
    the dated ones), a page of events at a time."""
    state = current_state()
    known = {s["slug"]: s["label"] for s in claim_statuses(state.store)}
    statuses = status_param(known, known)
    # The statuses the events are filtered by: none when every one is shown (the default).
    chosen = statuses if set(statuses) != set(known) else None
    # The page of events from the build's table (by index: the cost of a page, not of the timeline).
    con = open_paged(state.folder, "timeline")
    try:
        total = events_count(con, chosen)
        page, pages, size = page_of(total, state.settings.picture_page_size)
        shown = events_page(con, chosen, (page - 1) * size, size)
        # Kept per choice of statuses (one small tuple per subset of the known ones): it counts every claim.
        key = "timeline:speaker:" + ",".join(sorted(set(statuses)))
        speaker = state.once(key, partial(events_speaker, con, chosen))
    finally:
        con.close()
    years: dict[int, list[Event]] = {}
    for e in shown:
        if e.year is not None:
            years.setdefault(e.year, []).append(e)
    undated = [e for e in shown if e.year is None]
    return render_template(
        "timeline.html", title="Timeline of events", years=years, undated=undated,
        known=known, statuses=statuses, total=total, page=page, pages=pages, chosen=chosen, speaker=speaker,
    )  # fmt: skip
