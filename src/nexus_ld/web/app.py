"""The application factory: settings, the served release (its store read-only; swapped when a new one
is published, ``state.py``), blueprints, error handlers."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from flask import Flask, Response
from flask.json.provider import DefaultJSONProvider
from werkzeug.serving import WSGIRequestHandler

from nexus_ld.config import Settings, load_settings
from nexus_ld.web import caching, errors, ratelimit, state
from nexus_ld.web.sparql import endpoint as sparql
from nexus_ld.web.views import (
    compose,
    contributions,
    dumps,
    health,
    network,
    pages,
    resources,
    review,
    search,
)

# Pages load scripts, styles and data only from this site (no inline script, no style attribute: the
# query UI and the network view keep theirs in static/), are never framed, and post forms only here.
# The vendored libraries insert three fixed <style> elements; their hashes allow exactly those:
# cytoscape's container rule, and YASR's column-resizer rules and its drag cursor.
VENDOR_STYLES = (
    "'sha256-pgvDUBa4IjFA2yuSJ2cqcyxmNYJMborsd0ORcRv9vw8='",
    "'sha256-zCK2EVMoPc04mRF/g5CotUvxbJPWS+8V0b+s9ptqQIk='",
    "'sha256-c0O6TmFAkgpNbHxKAa1BrveWHHopjEtC47i0PzMudxg='",
)
PAGE_CSP = (
    f"default-src 'self'; style-src 'self' {' '.join(VENDOR_STYLES)}; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
# Data (RDF, JSON, text, dumps) is never a document that may run or load anything.
DATA_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    # Search terms and queries travel in URLs: they are not sent to other sites.
    "Referrer-Policy": "same-origin",
}


class App(Flask):
    """Flask, asking once per hook and view whether it is a coroutine: Flask asks ``inspect`` again
    for each of them on every request (ten per ``/sparql`` query), and ours never change."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._sync: dict[Callable[..., Any], Callable[..., Any]] = {}

    def ensure_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        sync = self._sync.get(func)
        if sync is None:
            sync = self._sync[func] = super().ensure_sync(func)
        return sync


def create_app(settings: Settings | Mapping[str, Any] | None = None) -> Flask:
    """Create the Flask app for a built store (or a remote one, per ``store_url``).

    :param settings: a ``Settings``, or a mapping of overrides on top of file/env/defaults.
    :raises StoreUnavailable: when there is no build (run ``nexus-ld build``).
    """
    if not isinstance(settings, Settings):
        settings = load_settings(settings)
    app = App(__name__)
    if isinstance(app.json, DefaultJSONProvider):
        app.json.sort_keys = False
    # The served release (a remote SPARQL server as the store, docs/scaling.md, else the embedded
    # build, read-only), one State per request, swapped when `build` publishes a new release.
    state.init_app(app, settings)
    errors.register(app)
    ratelimit.init_app(app)  # the client address behind a trusted proxy; per-client in-flight cap
    app.register_blueprint(health.bp)
    sparql.init_app(app)  # the /sparql blueprint, its query workers, rate limit and CORS
    app.register_blueprint(pages.bp)  # home, listings; the HTML of descriptions
    app.register_blueprint(resources.bp)  # /id/ -> 303 -> /doc/, /ontology
    app.register_blueprint(dumps.bp)  # /downloads/, VoID
    app.register_blueprint(search.bp)  # /search: the build's full-text index
    app.register_blueprint(network.bp)  # /network, /network.json, /timeline: the pictures
    contributions.init_app(app)  # /validate, /contributions, /contribute: the inbox and the review
    review.init_app(app)  # /contributions/review: the maintainers' page (sign-in, accept, reject)
    compose.init_app(app)  # /compose/…: a claim from a selected passage, a new source, as forms
    app.after_request(security_headers)
    caching.init_app(app)  # ETag per release and request, 304, Cache-Control, compression
    return app


def security_headers(response: Response) -> Response:
    """Headers every answer carries (pages, errors, data, static files, the watchdog's 503), unless
    it has its own.

    A hook of a dozen lines rather than flask-talisman: its defaults (HTTPS redirects, HSTS) belong
    to the TLS front, and it gives JSON the CSP of a page. It runs on every answer: the names present
    are read in one pass (a werkzeug ``Headers`` look-up of a missing name raises and catches).
    """
    headers = response.headers
    present = {name.lower() for name, _ in headers}
    if "content-security-policy" not in present:
        page = response.mimetype in ("text/html", "application/xhtml+xml")
        headers.add("Content-Security-Policy", PAGE_CSP if page else DATA_CSP)
    for name, value in SECURITY_HEADERS.items():
        if name.lower() not in present:
            headers.add(name, value)
    return response


class QuietRequestHandler(WSGIRequestHandler):
    """Werkzeug's request handler (``nexus-ld serve``) with a ``Server`` header that names no versions:
    ``Werkzeug/x Python/y`` tells a scanner which known flaws to try."""

    def version_string(self) -> str:
        return "nexus-ld"
