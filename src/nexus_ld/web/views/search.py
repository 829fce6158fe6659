"""Blueprint: ``/search?q=`` over labels, alternative labels, quotes and claim summaries, as HTML or JSON.

The hits come from the build's FTS5 index (``search.py``); the page links every hit to its resource
and marks the matched words, escaping everything else.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Response, jsonify, render_template, request
from markupsafe import Markup, escape

from nexus_ld.errors import BadRequest
from nexus_ld.formats import HTML, JSON
from nexus_ld.pipeline.publish.search import INDEX_FILE, Hit, Page, search
from nexus_ld.urls import Urls
from nexus_ld.web.negotiate import choose
from nexus_ld.web.state import current_state
from nexus_ld.web.views.pages import curie as curie_of  # the site's one CURIE rule

bp = Blueprint("search", __name__)

OFFERS = {"html": HTML, "json": JSON}
PAGE_SIZE = 20
KIND_LABELS = {"label": "name", "altLabel": "other name", "claim": "claim summary", "quote": "quoted passage"}


def _int(name: str, default: int) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isdigit():
        raise BadRequest(f"{name} must be a whole number, not {raw!r}")
    return int(raw)


def highlighted(hit: Hit) -> Markup:
    """The matched text as HTML: every part escaped, the matches in ``<mark>``."""
    return Markup("").join(Markup("<mark>%s</mark>") % t if m else escape(t) for t, m in hit.segments)


def hit_json(hit: Hit, urls: Urls, curie: Any) -> dict[str, Any]:
    """One hit for JSON clients (``curie`` shortens IRIs with the site's prefixes)."""
    local = urls.local_part(hit.iri)
    return {
        "iri": hit.iri,
        "path": "/" + local if local is not None else hit.iri,  # the local /id/… path (303 to its page)
        "page": urls.href(hit.iri),
        "label": hit.label,
        "types": [curie(t) for t in hit.types],
        "kind": hit.kind,
        "text": hit.text,
        "segments": [{"text": t, "match": m} for t, m in hit.segments],
        "html": str(highlighted(hit)),
        "claim": hit.iri if hit.kind in ("claim", "quote") else None,
        "status": hit.status,
        "status_label": hit.status_label,
    }


def page_json(page: Page, urls: Urls, curie: Any) -> dict[str, Any]:
    def link(offset: int | None) -> str | None:
        return None if offset is None else _url(page, offset)

    return {
        "query": page.query,
        "kind": page.kind,
        "total": page.total,
        "limit": page.limit,
        "offset": page.offset,
        "next": link(page.next_offset),
        "previous": link(page.previous_offset),
        "hits": [hit_json(h, urls, curie) for h in page.hits],
    }


def _url(page: Page, offset: int, fmt: str | None = "json") -> str:
    params = {"q": page.query, "kind": page.kind, "limit": page.limit, "offset": offset, "format": fmt}
    return "/search?" + urlencode({k: v for k, v in params.items() if v not in (None, "", 0)})


@bp.get("/search")
def search_view() -> Response | str:
    """``q`` (words, phrases in quotes, ``OR``, ``NOT``, ``prefix*``), ``kind``, ``limit``, ``offset``."""
    fmt = choose(OFFERS.values(), HTML)
    state = current_state()
    q = request.args.get("q", "")
    kind = request.args.get("kind") or None
    limit, offset = _int("limit", PAGE_SIZE), _int("offset", 0)
    urls = Urls(state.store.base)

    def curie(iri: str) -> str:
        return curie_of(state.store, iri)

    index = state.folder / INDEX_FILE
    if fmt is JSON:
        response = jsonify(page_json(search(index, q, limit, offset, kind), urls, curie))
        response.vary.add("Accept")
        return response
    page = search(index, q, limit, offset, kind) if q.strip() else None
    body = render_template(
        "search.html",
        title=f"Search: {q}" if q.strip() else "Search",
        q=q,
        kind=kind,
        kinds=KIND_LABELS,
        page=page,
        highlighted=highlighted,
        curie=curie,
        page_url=(lambda offset: _url(page, offset, None)) if page else None,
    )
    alternate = _url(page, offset) if page else "/search?format=json"
    headers = {"Vary": "Accept", "Link": f'<{alternate}>; rel="alternate"; type="application/json"'}
    return Response(body, mimetype="text/html", headers=headers)
