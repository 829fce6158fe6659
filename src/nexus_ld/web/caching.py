"""HTTP caching and compression of every answer, in one after-request hook (issue 15).

Every published answer is a function of (release, request): the ETag says which, weakly (``W/``: the
gzip, brotli, zstd and identity forms of one answer are the same representation, RFC 9110 §8.8.1), and
``If-None-Match`` gets a 304 by werkzeug's weak comparison (``make_conditional``). ``Cache-Control``
follows the kind of answer:

- published answers (pages, descriptions in every format, ``/sparql`` GET, search, the network, VoID,
  ``/downloads/``): ``public, max-age=300``, revalidated by the ETag after that;
- the inbox, the maintainers' pages, health checks, every POST and every error: ``no-store``.

Compression is flask-compress's (gzip, br, zstd by the client's Accept-Encoding) for answers over
``MIN_SIZE`` bytes, called from here so that it runs after the ETag is set and before the 304 is
decided, and never on release files (sent as stored: ranges stay valid, dumps are pre-compressed).
``Vary`` then names Accept-Encoding only on answers that are compressed when asked. Static files keep
their own strong ETag (from the file), which flask-compress makes one per encoding (``"…:gzip"``).

The 304 is decided before the view runs wherever the tag can be computed up front: the tag
(``_tag``) needs the release, the request and the format ``negotiate.choose`` picked, so a view that
does not negotiate is answered before it is called (``_before_view``), and one that does when it calls
``choose`` (``chosen``), before its store queries. What the 304 must repeat of the 200 but is known
only after rendering (its ``Vary``, whether it is a page) is written into the tag as flags
(``W/"<release>-<hash>.ae"``, hashed too), and read back from the client's tag. A 304 so decided repeats
ETag, Cache-Control, Vary, the headers every answer carries and the view's ``Content-Location`` and
``Link``, which the view gives ``choose`` as a function of the format (RFC 9110 §15.4.5); not a result
count, which needs the answer (a cache keeps that of its copy, RFC 9111 §4.3.4).
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import re
from collections.abc import Callable, Mapping
from typing import Any

from flask import Flask, Request, Response, current_app, g, request
from flask_compress import Compress
from werkzeug.http import quote_etag

from nexus_ld import __version__
from nexus_ld.formats import RDF_FORMATS, RESULT_FORMATS
from nexus_ld.web.state import current_state

MAX_AGE = 300  # seconds a published answer is fresh in caches; then revalidated by its ETag
PUBLISHED = f"public, max-age={MAX_AGE}"
NO_STORE = "no-store"
# Blueprints whose answers change without a new release, or hold what one client may see.
UNSTORED = {"contributions", "review", "compose", "health"}
# Release files go as stored (pre-compressed dumps, byte ranges), with their own checksum ETag.
AS_STORED = {"dumps.download", "dumps.release_download"}
# A release-addressed file never changes: caches may keep it for a year without asking again.
FIXED = {"dumps.release_download": "public, max-age=31536000, immutable"}
MIN_SIZE = 1024  # below ~1 KB compression saves less than its headers and time cost
COMPRESSIBLE = sorted(
    {"text/html", "text/css", "text/plain", "text/javascript", "application/javascript", "application/json"}
    | {mt for f in (*RDF_FORMATS.values(), *RESULT_FORMATS.values()) for mt in f.media_types}
)
_COMPRESSIBLE = frozenset(COMPRESSIBLE)
# The request headers that can turn an answer into a 304 or a 412 (``make_conditional``).
CONDITIONS = ("HTTP_IF_NONE_MATCH", "HTTP_IF_MATCH", "HTTP_IF_MODIFIED_SINCE", "HTTP_IF_UNMODIFIED_SINCE")
SECRETS = {"maintainer_token"}
EXTENSION = "nexus_ld.compress"
_TOKEN = re.compile(r"[^A-Za-z0-9._-]")
# The tag's flags: what a 304 must repeat of its 200 that only rendering tells.
VARY_FLAGS = {"accept": ("a", "Accept"), "accept-encoding": ("e", "Accept-Encoding")}
PAGE = "h"  # an HTML page (its 304 gets the page's security headers, not the data's)
LATE = "x"  # a Vary no flag says: such a tag is matched only after the view (make_conditional)
# Every flag string a 304 can be built from before the view (letters in order; LATE in none).
_LETTERS = sorted([*(flag for flag, _ in VARY_FLAGS.values()), PAGE])
EARLY_FLAGS = {"".join(c) for n in range(1, len(_LETTERS) + 1) for c in itertools.combinations(_LETTERS, n)}
# The Content-Type a 304 is built with (never sent: RFC 9110 §15.4.5) for the security headers of data.
DATA = "application/octet-stream"


class Unchanged(Exception):
    """The client has this answer: its 304, raised from ``choose`` so that the view stops there."""

    def __init__(self, response: Response) -> None:
        super().__init__("not modified")
        self.response = response


def init_app(app: Flask) -> None:
    """Register compression (not as its own hook: ``cache_headers`` calls it), the hook, and the 304
    before every view. Called after every blueprint is registered: it wraps their views."""
    app.config.update(
        COMPRESS_REGISTER=False,
        COMPRESS_MIMETYPES=COMPRESSIBLE,
        COMPRESS_MIN_SIZE=MIN_SIZE,
        COMPRESS_ALGORITHM=["zstd", "br", "gzip"],
        # Static files are sent streamed: compressed on the fly, gzip included (flask-compress leaves
        # it out of streams by default; its streaming gzip writer is a plain zlib stream).
        COMPRESS_ALGORITHM_STREAMING=["zstd", "br", "gzip"],
        COMPRESS_EVALUATE_CONDITIONAL_REQUEST=False,  # the 304 is decided here
    )
    app.extensions[EXTENSION] = Compress(app)
    # Answers change with the code and the settings too, not only with the data: both salt the ETag
    # (secrets left out: a tag is public).
    values = app.extensions["nexus_ld"].settings.values
    salt = repr((__version__, sorted((k, v) for k, v in values.items() if k not in SECRETS)))
    app.config["NEXUS_LD_ETAG_SALT"] = hashlib.sha256(salt.encode()).hexdigest()
    app.after_request(cache_headers)
    app.register_error_handler(Unchanged, lambda exc: exc.response)
    for endpoint, view in list(app.view_functions.items()):
        app.view_functions[endpoint] = _before_view(view)


def _tag(req: Request, media_type: str, flags: str) -> str:
    """``<release>-<hash>[.<flags>]``: the hash of (release, code and settings, path, query string,
    chosen format: all known before the view runs) and of the flags, so that a client cannot alter them."""
    release = _release()
    parts = (
        current_app.config["NEXUS_LD_ETAG_SALT"],
        release,
        req.path,
        req.query_string.decode("latin-1"),
        media_type,
        flags,
    )
    digest = hashlib.sha256("\x00".join(parts).encode("utf-8")).hexdigest()[:24]
    key = f"{_token(release)}-{digest}"
    return f"{key}.{flags}" if flags else key


def _release() -> str:
    return current_state().release or "dev"  # the release the request is answered from


@functools.lru_cache(maxsize=16)
def _token(release: str) -> str:
    return _TOKEN.sub("", release)[:40]


def _etag(req: Request, mimetype: str, vary: str) -> str:
    """The opaque tag of a 200 (``_tag``), its flags read from the answer's type and Vary."""
    flags = {VARY_FLAGS.get(name.strip().lower(), (LATE,))[0] for name in vary.split(",") if name.strip()}
    if mimetype == "text/html":
        flags.add(PAGE)
    return _tag(req, g.get("nexus_chosen", ""), "".join(sorted(flags)))  # chosen() sets it


def _not_modified(req: Request, media_type: str) -> Response | None:
    """The 304 of this request when the client's If-None-Match holds the tag of its answer (with
    flags that do not need the rendered answer); ``media_type``: the chosen format's ('' if none)."""
    tags = req.if_none_match
    if not tags or tags.star_tag or not published(req):
        return None
    ours = _token(_release()) + "-"  # only this release's tags are hashed: a long list costs no more
    for tag in tags.as_set(include_weak=True):
        if not tag.startswith(ours):
            continue
        flags = tag.rpartition(".")[2]
        flags = flags if flags in EARLY_FLAGS else ""
        if tag != _tag(req, media_type, flags):
            continue
        response = Response(status=304, mimetype="text/html" if PAGE in flags else media_type or DATA)
        response.set_etag(tag, weak=True)
        response.vary.update(name for flag, name in VARY_FLAGS.values() if flag in flags)
        return response
    return None


def chosen(media_type: str, headers: Callable[[], Mapping[str, str]] | None = None) -> None:
    """Note the format ``negotiate.choose`` picked for this request (the last word of its tag's key);
    ``headers``: the view's own headers of that answer, for its 304.

    Raises:
        Unchanged: the client has this answer (If-None-Match): its 304, before the view goes on.
    """
    g.nexus_chosen = media_type
    req = request._get_current_object()  # type: ignore[attr-defined]
    response = _not_modified(req, media_type) if "HTTP_IF_NONE_MATCH" in req.environ else None
    if response is not None:
        if headers is not None:
            response.headers.update(headers())
        raise Unchanged(response)


def _before_view(view: Callable[..., Any]) -> Callable[..., Any]:
    """``view``, answered 304 without being called when the client has the answer of a view that
    does not negotiate (its tag is hashed with no format)."""

    @functools.wraps(view)
    def answer(**kwargs: Any) -> Any:
        req = request._get_current_object()  # type: ignore[attr-defined]
        if "HTTP_IF_NONE_MATCH" in req.environ:
            response = _not_modified(req, "")
            if response is not None:
                return response
        return view(**kwargs)

    return answer


def published(req: Request) -> bool:
    """Whether this request's answer is release-derived (else it is never stored)."""
    if req.method not in ("GET", "HEAD") or req.blueprint in UNSTORED:
        return False
    return req.endpoint is not None


def cache_headers(response: Response) -> Response:
    """Cache-Control, ETag, compression and the 304 of one answer.

    It runs on every answer: the request proxy is looked up once, and the headers are read in one
    pass (a werkzeug ``Headers`` look-up of a missing name raises and catches an exception)."""
    req = request._get_current_object()  # type: ignore[attr-defined]
    headers = response.headers
    if response.status_code >= 400 or not published(req):
        headers["Cache-Control"] = NO_STORE
        return response
    present = {name.lower(): value for name, value in headers}
    if req.endpoint in FIXED:
        headers["Cache-Control"] = FIXED[req.endpoint]
    elif "cache-control" not in present:  # send_file's own max_age stays
        headers.add("Cache-Control", PUBLISHED)
    if response.status_code != 200:  # redirects (303 from /id/), 304s decided early or by send_file
        return response
    mimetype = present.get("content-type", "").partition(";")[0].strip().lower()
    length = present.get("content-length")
    if (
        req.endpoint not in AS_STORED
        and mimetype in _COMPRESSIBLE
        and (length is None or int(length) >= MIN_SIZE)
    ):
        response = current_app.extensions[EXTENSION].after_request(response)
        present["vary"] = response.headers.get("Vary", "")
    if "etag" not in present:  # files keep their checksum tag
        headers.add("ETag", quote_etag(_etag(req, mimetype, present.get("vary", "")), weak=True))
    # A file's 304, an ``If-None-Match: *``, a tag that needs the answer (flag LATE); every other
    # match was answered before the view. Weak comparison. (Without a condition it would only add a
    # Date, which the server sends.)
    if any(name in req.environ for name in CONDITIONS):
        response.make_conditional(req)
    return response
