"""Content negotiation: ``choose`` is the one way a view (and the error handler) picks the form of
its answer: the path suffix, else a ``format`` parameter, else the Accept header, negotiated over
werkzeug's Accept parsing (q-values, wildcards, specificity) by ``negotiate``. Every answer chosen
so depends on Accept: ``vary`` marks it."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import lru_cache, partial

from flask import Response, request
from werkzeug.datastructures import MIMEAccept
from werkzeug.http import parse_accept_header

from nexus_ld.errors import BadRequest, NotAcceptable
from nexus_ld.formats import HTML, RDF_FORMATS, RESULT_FORMATS, Format, lookup
from nexus_ld.web import caching

# Every format some view offers: a ``format`` name none of them knows is a 400, a known one that this
# view does not offer a 406.
KNOWN = {**RDF_FORMATS, **RESULT_FORMATS, "html": HTML}


def negotiate(accept: str | None, offers: Iterable[Format], default: Format | None = None) -> Format:
    """The offered format the Accept header prefers.

    A missing or empty header, or one that accepts anything equally (``*/*``), gets ``default``
    (or the first offer).

    Raises:
        NotAcceptable: when no offer is acceptable; the message lists what is offered.
    """
    offers = tuple(offers)
    fallback = default or offers[0]
    if not accept or not accept.strip():
        return fallback
    # Views compare the answer by identity (``fmt is JSON``), and equal offers of other views share
    # cache entries: so the cache keeps a position, and the answer is the caller's own object.
    return offers[_best(accept, offers, fallback)]


@lru_cache(maxsize=512)
def _best(accept: str, offers: tuple[Format, ...], fallback: Format) -> int:
    """The position in ``offers`` of the format ``accept`` prefers (``fallback`` first among equals).

    Clients send the same few Accept headers again and again; parsing one costs more than a query.
    """
    parsed = parse_accept_header(accept, MIMEAccept)
    by_type = {mt: i for i, f in enumerate(offers) for mt in f.media_types}
    ordered = [fallback.media_type] + [mt for mt in by_type if mt != fallback.media_type]
    best = parsed.best_match(ordered)
    if best is None:
        offered = ", ".join(f.media_type for f in offers)
        raise NotAcceptable(f"none of the accepted types ({accept}) is offered; offered: {offered}")
    return by_type[best]


def choose(
    offers: Iterable[Format],
    default: Format,
    *,
    asked: Sequence[str] | None = None,
    suffix: Format | None = None,
    siblings: Iterable[Format] = (),
    headers: Callable[[Format], Mapping[str, str]] | None = None,
) -> Format:
    """The format of this request: ``suffix`` (the path's), else the first ``format`` parameter that
    names an offer (``asked``; default: the query string's), else the Accept header's preference.

    ``siblings``: formats of the other kind of answer of the same service (SPARQL results beside RDF
    graphs). An Accept header that lists only those gets ``default`` rather than a 406, as Fuseki
    does: clients such as rdflib's ``SPARQLStore`` send one Accept for every query form (issue 14).

    With the format known, so is the answer's ETag: a client that has the answer gets its 304 here,
    before the view runs its queries (``caching.chosen``). ``headers``: the view's own headers of its
    answer in a format (``Content-Location``, ``Link``), which that 304 repeats (RFC 9110 §15.4.5);
    called only for a 304.

    Raises:
        BadRequest: a ``format`` parameter names no format at all (the message lists the offers).
        NotAcceptable: it names a format not offered here, or nothing offered is acceptable.
        caching.Unchanged: the 304, when If-None-Match holds this answer's tag.
    """
    fmt = _choose(tuple(offers), default, asked, suffix, siblings)
    caching.chosen(fmt.media_type, partial(headers, fmt) if headers else None)
    return fmt


def _choose(
    offers: tuple[Format, ...],
    default: Format,
    asked: Sequence[str] | None,
    suffix: Format | None,
    siblings: Iterable[Format],
) -> Format:
    if suffix is not None:
        return suffix
    wanted = request.args.getlist("format") if asked is None else asked
    wanted = [w for w in wanted if w.strip()]
    if wanted:
        table = {f.name: f for f in offers}
        fmt = next((f for f in (lookup(w, table) for w in wanted) if f), None)
        if fmt is not None:
            return fmt
        names = ", ".join(f"{f.name} ({f.media_type})" for f in offers)
        if not any(lookup(w, KNOWN) for w in wanted):
            raise BadRequest(f"unknown format {wanted[0]!r}; use one of: {names}")
        asked_text = " or ".join(f"format={w!r}" for w in wanted)
        raise NotAcceptable(f"{asked_text} is not offered here; offered: {names}")
    accept = request.headers.get("Accept")
    try:
        return negotiate(accept, offers, default)
    except NotAcceptable:
        siblings = tuple(siblings)
        if siblings and _acceptable(accept, siblings):
            return default
        raise


def _acceptable(accept: str | None, offers: tuple[Format, ...]) -> bool:
    try:
        negotiate(accept, offers)
    except NotAcceptable:
        return False
    return True


def vary(response: Response) -> Response:
    """Mark ``response`` as chosen by the Accept header (caches keep one copy per Accept)."""
    response.vary.add("Accept")
    return response
