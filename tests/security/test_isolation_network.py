"""Issue 11, "SERVICE impossible below the guard": the processes that evaluate user SPARQL have no
outbound network. The guard (which refuses SERVICE) is bypassed on purpose — the query goes straight to
a pool worker, or the gunicorn worker's own network is probed — so these tests hold even when a guard
bug lets SERVICE through. A canary on 127.0.0.1 shows what would have been reached."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator

import pytest
import requests
from isolation_support import Canary, gunicorn_with_hooks

from nexus_ld.errors import BadRequest
from nexus_ld.store.embedded import STORE_DIR
from nexus_ld.store.jobs import Job
from nexus_ld.web.sparql.executor import WorkerPool
from tests.conftest import make_app
from tests.test_gunicorn import _children


@pytest.fixture()
def canary() -> Iterator[Canary]:
    with Canary() as server:
        yield server


def service_job(url: str) -> Job:
    return Job(f"SELECT * WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }}", "json", "turtle", 100)


def _pool(built, **overrides) -> WorkerPool:
    values = dict(built.values) | overrides
    return WorkerPool(str(built.build / STORE_DIR), {}, 1, values)


def test_a_pool_worker_cannot_reach_a_service_endpoint(built, canary):
    pool = _pool(built)
    try:
        with pytest.raises(BadRequest, match="tried to reach the network") as refused:
            pool.run(service_job(canary.url), 10)
    finally:
        pool.close()
    assert canary.hits == [], refused.value.message
    requests.get(canary.url, timeout=5)  # the canary itself answers: the worker, not the canary, failed
    assert canary.hits == [("GET", "/sparql")]


def test_with_service_allowlist_the_workers_keep_the_network_and_say_so(built, canary):
    """The operator's choice (the setting's documented price): SERVICE reaches allowed endpoints."""
    pool = _pool(built, service_allowlist=canary.url)
    try:
        assert (
            pool.isolation() == "none: service_allowlist is set: SERVICE to those endpoints needs the network"
        )
        with contextlib.suppress(BadRequest):  # the canary's answer is not the point: that it was asked
            pool.run(service_job(canary.url), 10)
    finally:
        pool.close()
    assert canary.hits and canary.hits[0][0] in {"GET", "POST"}


def test_readyz_names_the_isolation_of_the_threaded_server(built):
    ready = make_app(built).test_client().get("/readyz").get_json()
    assert ready["status"] == "ready" and ready["isolation"] == "network namespace"
    allowed = make_app(built, service_allowlist="http://example.org/sparql").test_client().get("/readyz")
    assert allowed.get_json()["isolation"].startswith("none: service_allowlist is set")


def _net_namespace(pid: int) -> str:
    return os.readlink(f"/proc/{pid}/ns/net")


@pytest.mark.live
def test_gunicorn_sync_workers_have_no_outbound_network(built, tmp_path_factory, canary):
    with gunicorn_with_hooks(built, tmp_path_factory) as (url, master):
        assert requests.get(url + "/readyz", timeout=30).json()["isolation"] == "network namespace"
        workers = _children(master)
        assert len(workers) == 2
        for pid in workers:  # each worker has a network of its own; the master keeps the host's
            assert _net_namespace(pid) != _net_namespace(master) == _net_namespace(os.getpid())
        # SERVICE evaluated by pyoxigraph inside a worker's network namespace: the canary is not reached
        service = f"SELECT * WHERE {{ SERVICE <{canary.url}> {{ ?s ?p ?o }} }}"
        probe = (
            "import pyoxigraph, sys\n"
            f"try: list(pyoxigraph.Store().query({service!r}))\n"
            "except (OSError, RuntimeError, ValueError) as e: sys.exit(str(e))\n"
        )
        worker = min(workers)
        ran = subprocess.run(
            ["nsenter", f"--net=/proc/{worker}/ns/net", sys.executable, "-c", probe],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert ran.returncode != 0 and "unreachable" in ran.stderr.lower(), ran.stderr
        # the guard bypass (finding 2), sent to the workers over HTTP: whether the guard catches
        # it or not, nothing leaves the worker and the client gets a clear 4xx
        bypass = f"SELECT * WHERE {{ BIND(group:x\u00b7\\# AS ?v) SERVICE <{canary.url}> {{ ?s ?p ?o }} }}"
        answer = requests.get(url + "/sparql", params={"query": bypass}, timeout=30)
        assert 400 <= answer.status_code < 500 and "Traceback" not in answer.text
        assert canary.hits == []
