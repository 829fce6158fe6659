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
"""

from __future__ import annotations

import hashlib
import re

from flask import Flask, Response, current_app, request
from flask_compress import Compress

from nexus_ld import __version__
from nexus_ld.formats import RDF_FORMATS, RESULT_FORMATS
from nexus_ld.web.state import current_state

PUBLISHED = "public, max-age=300"
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
SECRETS = {"maintainer_token"}
EXTENSION = "nexus_ld.compress"
_TOKEN = re.compile(r"[^A-Za-z0-9._-]")


def init_app(app: Flask) -> None:
    """Register compression (not as its own hook: ``cache_headers`` calls it) and the hook."""
    app.config.update(
        COMPRESS_REGISTER=False,
        COMPRESS_MIMETYPES=COMPRESSIBLE,
        COMPRESS_MIN_SIZE=MIN_SIZE,
        COMPRESS_ALGORITHM=["zstd", "br", "gzip"],
        # Static files are sent streamed: compressed on the fly, gzip included (flask-compress leaves
        # it out of streams by default; its streaming gzip writer is a plain zlib stream).
        COMPRESS_ALGORITHM_STREAMING=["zstd", "br", "gzip"],
        COMPRESS_EVALUATE_CONDITIONAL_REQUEST=False,  # the 304 is decided once, below
    )
    app.extensions[EXTENSION] = Compress(app)
    # Answers change with the code and the settings too, not only with the data: both salt the ETag
    # (secrets left out: a tag is public).
    values = app.extensions["nexus_ld"].settings.values
    salt = repr((__version__, sorted((k, v) for k, v in values.items() if k not in SECRETS)))
    app.config["NEXUS_LD_ETAG_SALT"] = hashlib.sha256(salt.encode()).hexdigest()
    app.after_request(cache_headers)


def release_etag(response: Response) -> str:
    """The opaque tag of (release, code and settings, path, query string, chosen format)."""
    release = current_state().release or "dev"  # the release the request was answered from
    parts = (
        current_app.config["NEXUS_LD_ETAG_SALT"],
        release,
        request.path,
        request.query_string.decode("latin-1"),
        response.headers.get("Content-Type", ""),
    )
    digest = hashlib.sha256("\x00".join(parts).encode("utf-8")).hexdigest()[:24]
    return f"{_TOKEN.sub('', release)[:40]}-{digest}"


def published() -> bool:
    """Whether this request's answer is release-derived (else it is never stored)."""
    if request.method not in ("GET", "HEAD") or request.blueprint in UNSTORED:
        return False
    return request.endpoint is not None


def cache_headers(response: Response) -> Response:
    """Cache-Control, ETag, compression and the 304 of one answer."""
    if response.status_code >= 400 or not published():
        response.headers["Cache-Control"] = NO_STORE
        return response
    if request.endpoint in FIXED:
        response.headers["Cache-Control"] = FIXED[request.endpoint]
    response.headers.setdefault("Cache-Control", PUBLISHED)  # send_file's own max_age stays
    if response.status_code != 200:  # redirects (303 from /id/) and 304s of send_file
        return response
    if response.get_etag()[0] is None:  # files keep their checksum tag
        response.set_etag(release_etag(response), weak=True)
    if request.endpoint not in AS_STORED and _compressible(response):
        response = current_app.extensions[EXTENSION].after_request(response)
    response.make_conditional(request)  # 304 by the weak comparison of If-None-Match
    return response


def _compressible(response: Response) -> bool:
    if response.mimetype not in current_app.config["COMPRESS_MIMETYPES"]:
        return False
    length = response.content_length
    return length is None or length >= MIN_SIZE
