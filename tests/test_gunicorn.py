"""The documented production command: real gunicorn, 2 workers sharing the read-only embedded store,
settings from the environment only, queried concurrently."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests

from nexus_ld.config import Settings
from tests.conftest import free_port, stop_process, wait_until_responds

pytestmark = pytest.mark.live  # gunicorn processes

TTP = "https://w3id.org/nexus-ld/id/group/ttp"


def _children(pid: int) -> set[int]:
    """Process ids whose parent is ``pid`` (from /proc)."""
    out = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                out.add(int(entry.name))
    return out


@contextmanager
def running_gunicorn(
    built: Settings, tmp_path_factory: pytest.TempPathFactory, **settings: str
) -> Iterator[tuple[str, int]]:
    """`gunicorn -w 2 … 'nexus_ld.web.app:create_app()'` (sync workers, the documented command) on a
    free port, configured by NEXUS_LD_* only; yields (url, master pid)."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEXUS_LD_")}
    env |= {
        "NEXUS_LD_PROJECT_DIR": str(built.project),
        "NEXUS_LD_BUILD_DIR": str(built.build),
        "NEXUS_LD_RATE_LIMIT_PER_MINUTE": "0",
        "NEXUS_LD_INBOX_PATH": str(tmp_path_factory.mktemp("inbox") / "contributions.sqlite"),
    }
    env |= {"NEXUS_LD_" + name.upper(): value for name, value in settings.items()}
    cmd = [sys.executable, "-m", "gunicorn", "-w", "2", "-b", f"127.0.0.1:{port}"]
    cmd += ["--limit-request-line", "8190", "nexus_ld.web.app:create_app()"]
    log = tmp_path_factory.mktemp("gunicorn") / "stderr.log"
    with open(log, "wb") as stderr:  # a file, not a pipe: a full pipe would block the server
        proc = subprocess.Popen(cmd, env=env, cwd=log.parent, stderr=stderr)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_responds(url + "/healthz", 90.0, proc, log)  # workers import and open the store first
        yield url, proc.pid
    finally:
        stop_process(proc)


@pytest.fixture(scope="module")
def gunicorn(built: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    with running_gunicorn(built, tmp_path_factory) as server:
        yield server


def test_two_workers_answer_concurrently_from_one_read_only_store(gunicorn):
    url, master = gunicorn
    query = "SELECT ?label WHERE { group:ttp skos:altLabel ?label } ORDER BY ?label"

    def sparql(_: int) -> list[str]:
        response = requests.get(url + "/sparql", params={"query": query}, timeout=30)
        response.raise_for_status()
        return [b["label"]["value"] for b in response.json()["results"]["bindings"]]

    def search(_: int) -> str:
        return requests.get(url + "/search", params={"q": "TTP", "format": "json"}, timeout=30).json()[
            "hits"
        ][0]["iri"]

    with ThreadPoolExecutor(16) as pool:
        labels = list(pool.map(sparql, range(48)))
        iris = list(pool.map(search, range(32)))
    assert labels[0] and "TTP" in labels[0] and all(answer == labels[0] for answer in labels)
    assert set(iris) == {TTP}
    workers = _children(master)
    assert len(workers) == 2, workers  # two gunicorn workers, each with the store open read-only
    ready = requests.get(url + "/readyz").json()
    assert ready["status"] == "ready" and ready["store"] == "embedded" and ready["search_index"] is True


def test_a_long_get_query_passes_the_raised_request_line_limit(gunicorn):
    url, _ = gunicorn
    padding = "#" + "x" * 5000 + "\n"  # past gunicorn's default 4094-byte request line
    response = requests.get(
        url + "/sparql", params={"query": padding + "ASK { group:ttp ?p ?o }"}, timeout=30
    )
    assert response.status_code == 200 and response.json()["boolean"] is True


CROSS_JOIN = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"  # hours on the bundled data


def _wait_for_workers(
    master: int, count: int, other_than: set[int] = frozenset(), timeout: float = 60.0
) -> set[int]:
    """The master's workers once there are ``count`` of them and they are not ``other_than``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        workers = _children(master)
        if len(workers) == count and workers != other_than:
            return workers
        time.sleep(0.1)
    return workers


def test_sync_workers_run_queries_themselves_and_one_past_its_limit_is_answered_and_replaced(
    built, tmp_path_factory
):
    with running_gunicorn(built, tmp_path_factory, query_timeout_s="1") as (url, master):
        ask = requests.get(url + "/sparql", params={"query": "ASK { group:ttp ?p ?o }"}, timeout=30)
        assert ask.json()["boolean"] is True
        before = _wait_for_workers(master, 2)
        # One request per process: each worker runs its queries itself, with no query processes of its own.
        assert len(before) == 2 and all(not _children(worker) for worker in before)

        with ThreadPoolExecutor(1) as pool:
            slow = pool.submit(
                requests.get,
                url + "/sparql",
                params={"query": CROSS_JOIN},
                headers={"Accept": "application/json"},
                timeout=60,
            )
            time.sleep(0.3)  # let one worker take it
            health = requests.get(url + "/healthz", timeout=10)  # the other worker answers meanwhile
            response = slow.result()
        assert health.json() == {"status": "ok"}
        assert response.status_code == 503
        error = response.json()["error"]
        assert error["status"] == 503 and "query_timeout_s" in error["message"] and "1 s" in error["message"]
        assert response.headers["Access-Control-Allow-Origin"] == "*"  # the after-request hooks ran

        after = _wait_for_workers(master, 2, other_than=before)
        gone = before - after
        assert len(gone) == 1 and len(after) == 2, (before, after)  # gunicorn started a new worker
        with pytest.raises(ProcessLookupError):
            os.kill(gone.pop(), 0)  # the work was stopped with its process, not left running
        again = requests.get(url + "/sparql", params={"query": "ASK { group:ttp ?p ?o }"}, timeout=30)
        assert again.json()["boolean"] is True
