"""Dereferencing: ``/id/…`` answers 303 See Other to ``/doc/…``; the document negotiates HTML, Turtle,
JSON-LD, N-Triples and RDF/XML (Accept with q-values, a file suffix, or ``?format=``). The ontology's
hash namespace (``/ontology``) dereferences the same way.

Every negotiated answer, the 303 included, carries ``Vary: Accept``; documents carry ``Link`` headers
to their alternates and canonical URL (ETag, 304 and Cache-Control: ``web/caching.py``). Unknown
resources get a 404 in the format asked for.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable

import pyoxigraph as ox
from flask import Blueprint, Response, redirect, request
from werkzeug.wrappers import Response as BaseResponse

from nexus_ld import formats
from nexus_ld.errors import BadRequest, NotFound
from nexus_ld.formats import GRAPH_FORMATS, HTML, RDF_FORMATS, Format
from nexus_ld.store.embedded import Store
from nexus_ld.urls import Urls
from nexus_ld.web.errors import render_error
from nexus_ld.web.negotiate import choose
from nexus_ld.web.state import current_state
from nexus_ld.web.views import pages

bp = Blueprint("resources", __name__)

OFFERS: tuple[Format, ...] = (HTML, *GRAPH_FORMATS.values())
DEFAULT = RDF_FORMATS["turtle"]  # what `*/*` alone (curl, scripts) gets
JSONLD = RDF_FORMATS["jsonld"]


def urls_for(store: Store) -> Urls:
    return Urls(store.base)


def split_suffix(path: str, offers: Iterable[Format] = OFFERS) -> tuple[str, Format | None]:
    """``group/ttp.ttl`` -> (``group/ttp``, Turtle). Slugs hold no dots, so a dot starts a suffix.

    Raises:
        NotFound: for a suffix that names no offered format.
    """
    last = path.rsplit("/", 1)[-1]
    if "." not in last:
        return path, None
    stem, suffix = path.rsplit(".", 1)
    fmt = next((f for f in offers if f.suffix == suffix.lower()), None)
    if fmt is None:
        offered = ", ".join("." + f.suffix for f in offers)
        raise NotFound(f"no document with suffix .{suffix}; offered: {offered}")
    return stem, fmt


def thing_iri(urls: Urls, stem: str) -> str:
    """The IRI ``/id/<stem>`` names. A path no IRI can hold (control characters, spaces, undecodable
    bytes) names nothing: 400, before the store sees it.

    Raises:
        BadRequest: ``stem`` makes no valid IRI.
    """
    iri = urls.iri(stem)
    try:
        ox.NamedNode(iri)
    except ValueError:
        raise BadRequest(f"no resource has the path {stem!r}: it holds characters no IRI can") from None
    return iri


def alternates(answered: Format, offers: Iterable[Format], href: Callable[[Format], str]) -> list[str]:
    """``rel="alternate"`` links to the formats of an answer in ``answered``.

    A JSON-LD answer names one, the HTML page, which links every format in its ``<head>``: pyld's
    document loader (3.x) fails on a JSON-LD answer with several alternates ("'list' object has no
    attribute 'get'", issue 14). Other answers name every format, JSON-LD among them, which is how a
    JSON-LD processor finds it from a Turtle or HTML answer (JSON-LD 1.1 API, loading documents).
    """
    offers = tuple(offers)
    if answered is JSONLD and HTML in offers:
        offers = (HTML,)
    return [f'<{href(f)}>; rel="alternate"; type="{f.media_type}"' for f in offers]


def link_header(urls: Urls, iri: str, answered: Format, offers: Iterable[Format], page: int = 1) -> str:
    """Alternates (each format's local URL), the canonical document URL and the described IRI."""
    links = alternates(answered, offers, lambda f: urls.doc(iri, f.suffix, page))
    links.append(f'<{urls.canonical_doc(iri, page)}>; rel="canonical"')
    links.append(f'<{iri}>; rel="describes"')
    return ", ".join(links)


def own_headers(
    fmt: Format, offers: Iterable[Format], href: Callable[[str], str], canonical: str, located: str | None
) -> dict[str, str]:
    """A negotiated document's own headers in ``fmt``: ``Link`` to its alternates (``href`` of a
    suffix) and canonical URL, and ``Content-Location`` when the URL did not name the format. The 200
    and the early 304 (``choose(headers=…)``) both send them."""
    links = alternates(fmt, offers, lambda f: href(f.suffix))
    own = {"Link": ", ".join([*links, f'<{canonical}>; rel="canonical"'])}
    if located is not None:
        own["Content-Location"] = located
    return own


def represent(fmt: Format, body: bytes | str, headers: dict[str, str]) -> Response:
    """A negotiated response in ``fmt`` (text types say their charset)."""
    mimetype = fmt.media_type
    response = Response(body, mimetype=mimetype, headers={"Vary": "Accept", **headers})
    if mimetype.startswith("text/") and "charset" not in response.headers["Content-Type"]:
        response.headers["Content-Type"] = f"{mimetype}; charset=utf-8"
    return response


def not_found_in(fmt: Format, message: str) -> Response:
    """A 404 in the asked format: an empty graph with the message, or the HTML error page."""
    if fmt is HTML:
        return render_error(404, "Not found", message)
    safe = message.replace("--", "- -")
    bodies = {
        "turtle": f"# 404 Not Found: {message}\n",
        "ntriples": f"# 404 Not Found: {message}\n",
        "jsonld": json.dumps(
            {"@graph": [], "error": {"status": 404, "title": "Not found", "message": message}}
        ),
        "rdfxml": '<?xml version="1.0" encoding="utf-8"?>\n'
        f"<!-- 404 Not Found: {safe} -->\n"
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/>\n',
    }
    response = Response(bodies[fmt.name], status=404, mimetype=fmt.media_type, headers={"Vary": "Accept"})
    return response


def serialize(triples: list[ox.Triple], fmt: Format, store: Store) -> bytes:
    prefixes = store.prefixes if fmt.name in ("turtle", "rdfxml") else None
    return formats.serialize(triples, fmt, prefixes)


@bp.get("/id/<path:path>")
def identifier(path: str) -> BaseResponse:
    """303 See Other to the document about the thing (404 when the dataset does not name it)."""
    store = current_state().store
    urls = urls_for(store)
    stem, suffix_format = split_suffix(path)
    iri = thing_iri(urls, stem)
    fmt = choose(OFFERS, DEFAULT, suffix=suffix_format)
    if not store.exists(iri):
        return not_found_in(fmt, f"no resource <{iri}> in this dataset")
    target = urls.doc(iri, suffix_format.suffix if suffix_format else None)
    if request.query_string:
        target += ("&" if "?" in target else "?") + request.query_string.decode("latin-1")
    response = redirect(target, code=303)
    response.headers["Vary"] = "Accept"
    response.headers["Link"] = f'<{iri}>; rel="canonical"'
    return response


def _page() -> int:
    raw = request.args.get("incoming", "1")
    if not raw.isdigit() or int(raw) < 1:
        raise BadRequest(f"incoming must be a page number (1, 2, …), not {raw!r}")
    return int(raw)


@bp.get("/doc/<path:path>")
def document(path: str) -> Response:
    """The description of ``/id/<path>`` in the negotiated format."""
    state = current_state()
    store = state.store
    urls = urls_for(store)
    stem, suffix_format = split_suffix(path)
    iri = thing_iri(urls, stem)
    page = _page()

    def headers(fmt: Format) -> dict[str, str]:
        """The document's own headers in ``fmt`` (its 304 repeats them, ``choose``)."""
        own = {"Link": link_header(urls, iri, fmt, OFFERS, page)}
        if suffix_format is None:
            own["Content-Location"] = urls.doc(iri, fmt.suffix, page)
        return own

    fmt = choose(OFFERS, DEFAULT, suffix=suffix_format, headers=headers)
    try:
        desc = store.describe(iri, page, state.settings.page_size)
    except NotFound as exc:
        return not_found_in(fmt, exc.message)
    if page > desc.pages:
        return not_found_in(fmt, f"<{iri}> has {desc.pages} page(s) of incoming links, not {page}")
    dataset = urls.canonical("void#dataset")
    if fmt is HTML:
        return represent(fmt, pages.render_description(desc, urls, store, dataset), headers(fmt))
    return represent(fmt, serialize(desc.rdf(urls, dataset), fmt, store), headers(fmt))


# --- the ontology's hash namespace --------------------------------------------------------------
@bp.get("/ontology")
@bp.get("/ontology.<suffix>")
def ontology(suffix: str | None = None) -> Response:
    """The ontology: HTML documentation or the ontology graph (OWL + SKOS schemes) as RDF."""
    store = current_state().store
    urls = urls_for(store)
    suffix_format = split_suffix(f"ontology.{suffix}")[1] if suffix else None
    iri = urls.ontology_iri

    def headers(fmt: Format) -> dict[str, str]:
        located = urls.doc(iri, fmt.suffix) if suffix_format is None else None
        return own_headers(fmt, OFFERS, lambda suffix: urls.doc(iri, suffix), iri, located)

    fmt = choose(OFFERS, DEFAULT, suffix=suffix_format, headers=headers)
    if fmt is HTML:
        return represent(fmt, pages.render_ontology(store, urls), headers(fmt))
    return represent(fmt, serialize(list(store.named("ontology-graph")), fmt, store), headers(fmt))
