"""Liveness and readiness."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    """Alive: answers without touching the store."""
    return jsonify({"status": "ok"})


@bp.get("/readyz")
def readyz():
    """Ready: the store answers a query; names the release."""
    state = current_app.extensions["nexus_ld"]
    ok = bool(state.store.query("ASK { ?s ?p ?o }"))
    body = {"status": "ready" if ok else "empty", "release": state.store.release.get("release")}
    return jsonify(body), (200 if ok else 503)
