"""Content negotiation: one function over werkzeug's Accept parsing (q-values, wildcards,
specificity), used by every view that can answer in several formats."""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

from werkzeug.datastructures import MIMEAccept
from werkzeug.http import parse_accept_header

from .errors import NotAcceptable
from .formats import Format


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
