"""Liveness and readiness."""

from __future__ import annotations

from flask import Blueprint, jsonify

from nexus_ld.errors import NexusError
from nexus_ld.pipeline.publish.search import INDEX_FILE, index_release
from nexus_ld.web.sparql.endpoint import isolation_status
from nexus_ld.web.state import current_state

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    """Alive: answers without touching the store."""
    return jsonify({"status": "ok"})


@bp.get("/readyz")
def readyz():
    """Ready: the store (embedded, or the remote server of ``store_url``) answers a query and holds data;
    names the release it serves (the newest published, docs/scaling.md), whether the search index belongs
    to it, and whether the processes that run queries have outbound network ("network namespace": none;
    "none: <reason>": they have)."""
    state = current_state()
    release = state.store.release.get("release")
    body = {
        "release": release,
        "store": state.settings.store_url or "embedded",
        "search_index": index_release(state.folder / INDEX_FILE) == release if release else False,
    }
    try:
        body["isolation"] = isolation_status()
        ok = bool(state.store.query("ASK { ?s ?p ?o }"))
    except NexusError as exc:  # a remote store that cannot be reached or does not answer in time
        return jsonify(body | {"status": "unavailable", "message": exc.message}), 503
    return jsonify(body | {"status": "ready" if ok else "empty"}), (200 if ok else 503)
