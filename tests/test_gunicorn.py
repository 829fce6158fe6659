"""The documented production command: real gunicorn, 2 workers sharing the read-only embedded store,
settings from the environment only, queried concurrently."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from nexus_ld.config import Settings
from tests.conftest import free_port

TTP = "https://w3id.org/nexus-ld/id/group/ttp"


def _wait(url: str, proc: subprocess.Popen, log: Path, timeout: float = 90.0) -> None:
    """Poll until gunicorn answers (its workers import and open the store first)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn exited: {log.read_text()[-2000:]}")
        try:
            requests.get(url, timeout=5)
            return
        except requests.RequestException:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {timeout} s")


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


@pytest.fixture(scope="module")
def gunicorn(built: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    """`gunicorn -w 2 … 'nexus_ld.web.app:create_app()'` on a free port, configured by NEXUS_LD_* only."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEXUS_LD_")}
    env |= {
        "NEXUS_LD_BUILD_DIR": str(built.build),
        "NEXUS_LD_QUERY_WORKERS": "1",
        "NEXUS_LD_RATE_LIMIT_PER_MINUTE": "0",
        "NEXUS_LD_INBOX_PATH": str(tmp_path_factory.mktemp("inbox") / "contributions.sqlite"),
    }
    cmd = [sys.executable, "-m", "gunicorn", "-w", "2", "-b", f"127.0.0.1:{port}"]
    cmd += ["--limit-request-line", "8190", "nexus_ld.web.app:create_app()"]
    log = tmp_path_factory.mktemp("gunicorn") / "stderr.log"
    with open(log, "wb") as stderr:  # a file, not a pipe: a full pipe would block the server
        proc = subprocess.Popen(cmd, env=env, cwd=log.parent, stderr=stderr)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait(url + "/healthz", proc, log)
        yield url, proc.pid
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


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
