"""Per-request cost (issue 15): what depends only on the release is made once per release, not per
query. Speed itself is measured in bench/ (``profile_requests.py``, ``bench_requests.py``), never here."""

from __future__ import annotations

import dataclasses
import threading

from werkzeug.test import EnvironBuilder

from nexus_ld.web.sparql.endpoint import here
from tests.conftest import make_app


def sync_worker_environ(query: str) -> dict:
    """A GET /sparql as a gunicorn sync worker hands it to the app: the query runs in this process,
    under the watchdog, on ``here``'s context."""
    environ = EnvironBuilder(
        path="/sparql", query_string={"query": query}, headers={"Accept": "application/sparql-results+json"}
    ).get_environ()
    environ.update({"REMOTE_ADDR": "127.0.0.1", "gunicorn.socket": None, "wsgi.multithread": False})
    return environ


def test_the_watchdog_context_is_made_once_per_release(built, monkeypatch):
    app = make_app(built, rate_limit_per_minute=0)
    state = app.extensions["nexus_ld"].state
    made: list[int] = []
    query_fn = state.store.query_fn

    def counted() -> object:
        made.append(1)
        return query_fn()

    monkeypatch.setattr(state.store, "query_fn", counted)
    status: list[str] = []
    for text in ("ASK {}", "ASK { ?s ?p ?o }", "SELECT * WHERE { ?s ?p ?o } LIMIT 1"):
        body = b"".join(app(sync_worker_environ(text), lambda s, h, e=None: status.append(s)))
        assert status[-1].startswith("200"), body[:300]
    assert made == [1]  # three queries, one context
    with app.app_context():
        assert here(app, state) is here(app, state)
        # Another release (a new State) gets its own, over its own store.
        other = dataclasses.replace(state, _made={}, _lock=threading.RLock())
        assert here(app, other) is not here(app, state)
