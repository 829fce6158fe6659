"""The page tables of the release served, as the pages read them (``listed``, ``claims_listed``,
``kept``), and the page of rows a request asks for (``?page=``: ``page_of``). The tables are written by
``build`` (pipeline/publish/tables.py) so that no page sorts or reads everything per request."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import request

from nexus_ld.errors import BadRequest
from nexus_ld.pipeline.publish.tables import (
    claims_count,
    claims_page,
    claims_speaker,
    open_paged,
    read_rows,
    read_table,
)
from nexus_ld.web.state import current_state

T = TypeVar("T")


def _page_number(name: str = "page") -> int:
    raw = request.args.get(name, "1")
    if not raw.isdigit() or int(raw) < 1:
        raise BadRequest(f"{name} must be a page number (1, 2, …), not {raw!r}")
    return int(raw)


def listed(name: str, page: int, size: int) -> list[dict[str, Any]]:
    """Page ``page`` (``size`` rows) of listing table ``name`` of the release served, read from disk
    (pipeline/publish/tables.py ``read_rows``): no listing is held whole in a server process."""
    return read_rows(current_state().folder, name, (page - 1) * size, size)


def claims_listed(
    status: str, agent: str | None
) -> tuple[list[dict[str, Any]], int, int, int, tuple[str, str] | None]:
    """The requested page (``page_of``) of the claims of status ``status`` (''; any) said by ``agent``
    (None: anyone), from the release's claims table by index, on one connection: (its rows, how many
    claims, page, pages, the agent the page names once)."""
    con = open_paged(current_state().folder, "claims")
    try:
        total = claims_count(con, status, agent)
        page, pages, size = page_of(total)
        rows = claims_page(con, status, agent, (page - 1) * size, size)
        return rows, total, page, pages, claims_speaker(con, status, agent)
    finally:
        con.close()


def kept(name: str, make: Callable[[list[dict[str, Any]]], T]) -> T:
    """What ``make`` makes of page table ``name`` of the release served, kept with the release in
    place of the table's rows (they are read once, then dropped)."""
    state = current_state()
    return state.once(name, lambda: make(read_table(state.folder, name)))


def page_of(total: int, size: int | None = None) -> tuple[int, int, int]:
    """The requested page of ``total`` rows, ``size`` a page (default: the setting ``page_size``):
    (page, pages, page size); past the last page is a 400."""
    size = size or current_state().settings.page_size
    page, pages = _page_number(), max(1, -(-total // size))
    if page > pages:
        raise BadRequest(f"page {page} is past the last page ({pages})")
    return page, pages, size
