"""The application factory: settings, the store (opened once, read-only), blueprints, error handlers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask import Flask

from ..config import Settings, load_settings
from ..remote import RemoteStore
from ..store import Store
from . import contributions, dumps, errors, health, network, pages, ratelimit, resources, search, sparql

EXTENSION = "nexus_ld"


@dataclass
class State:
    """Everything a view needs: the settings and the store. Nothing in it changes after start-up."""

    settings: Settings
    store: Store | RemoteStore


def create_app(settings: Settings | Mapping[str, Any] | None = None) -> Flask:
    """Create the Flask app for a built store (or a remote one, per ``store_url``).

    :param settings: a ``Settings``, or a mapping of overrides on top of file/env/defaults.
    :raises StoreUnavailable: when there is no build (run ``nexus-ld build``).
    """
    if not isinstance(settings, Settings):
        settings = load_settings(settings)
    app = Flask(__name__)
    app.json.sort_keys = False
    # A remote SPARQL server as the store (docs/scaling.md), else the embedded build, read-only.
    store = RemoteStore.open(settings) if settings.store_url else Store.open(settings.build)
    app.extensions[EXTENSION] = State(settings, store)
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
    return app
