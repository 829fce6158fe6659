"""The floor of a request under each server: a Flask app whose ``/sparql`` answers ``ASK``'s JSON
without a store, a hook or a check (``bench_requests.py --floor`` runs it in place of nexus-ld). What
it costs beside ``oxigraph serve`` is the server's HTTP handling and Flask's own dispatch: no change
to nexus-ld can take a shape below it."""

from __future__ import annotations

from flask import Flask, Response

ANSWER = b'{"head":{},"boolean":true}'


def create_app() -> Flask:
    app = Flask("floor")
    app.add_url_rule(
        "/sparql", "sparql", lambda: Response(ANSWER, mimetype="application/sparql-results+json")
    )
    return app
