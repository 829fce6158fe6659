"""A new release under load: `nexus-ld build` publishes while a real server (nexus-ld serve, gunicorn
gthread, gunicorn sync) answers concurrent requests; every answer succeeds, comes from exactly one
release (its Nexus-Release header and its content agree), and within seconds all answers are the new
release, which /readyz names."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from conftest import free_port, stop_process, wait_until_responds
from test_releases import NEW_CLAIM, build_two

from nexus_ld.config import Settings
from nexus_ld.pipeline.publish import releases

pytestmark = pytest.mark.live  # servers, a build process, client threads

SWITCH_S = 3.0  # every answer that starts this long after the build returns is the new release
AFTER_S = 5.0  # load kept up after the build returns
CHECK_S = "0.2"  # release_check_s of the servers under test
RENAMED = "intel-raw-funded-ttp-r2"  # the claim's name in release two (a statement of it names it)
SERVERS = {
    "serve": lambda port: [sys.executable, "-m", "nexus_ld", "serve", "--port", str(port)],
    "gunicorn-gthread": lambda port: [
        sys.executable, "-m", "gunicorn", "-k", "gthread", "--threads", "4", "-w", "2",
        "-b", f"127.0.0.1:{port}", "nexus_ld.web.app:create_app()",
    ],
    "gunicorn-sync": lambda port: [
        sys.executable, "-m", "gunicorn", "-w", "2", "-b", f"127.0.0.1:{port}",
        "nexus_ld.web.app:create_app()",
    ],
}  # fmt: skip


@dataclass(frozen=True)
class Answer:
    started: float
    path: str
    release: str | None
    consistent: bool
    problem: str | None  # a connection error or a 5xx


@pytest.fixture(scope="module")
def swap_project(project_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, str, str]:
    """A project whose build folder holds release one (served); its inputs are already release two's."""
    settings, first, second = build_two(tmp_path_factory.mktemp("swap"), project_dir)
    releases.switch(settings.build, first)
    shutil.rmtree(settings.build / "releases" / second)  # the build under load makes it again
    return settings, first, second


@contextmanager
def server(kind: str, settings: Settings, build_dir: Path, log: Path) -> Iterator[str]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEXUS_LD_")}
    env |= {
        "NEXUS_LD_PROJECT_DIR": str(settings.project),
        "NEXUS_LD_BUILD_DIR": str(build_dir),
        "NEXUS_LD_INBOX_PATH": str(build_dir.parent / "inbox.sqlite"),
        "NEXUS_LD_RATE_LIMIT_PER_MINUTE": "0",
        "NEXUS_LD_MAX_INFLIGHT_PER_CLIENT": "0",  # the load comes from one address
        "NEXUS_LD_RELEASE_CHECK_S": CHECK_S,
    }
    with open(log, "wb") as stderr:  # a file, not a pipe: a full pipe would block the server
        proc = subprocess.Popen(SERVERS[kind](port), env=env, cwd=build_dir.parent, stderr=stderr)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_responds(url + "/healthz", 90.0, proc, log)
        yield url
    finally:
        stop_process(proc)


def ask(session: requests.Session, url: str, first: str, second: str, i: int) -> Answer:
    """One request of the load, in turn: a query and pages whose answers differ between releases."""
    started = time.monotonic()
    kind = i % 4
    try:
        if kind == 0:
            path = "/sparql"
            r = session.get(url + path, params={"query": f"ASK {{ <{NEW_CLAIM}> ?p ?o }}"},
                            headers={"Accept": "application/sparql-results+json"}, timeout=30)  # fmt: skip
        elif kind in (1, 2):
            path = "/doc/claim/intel-raw-funded-ttp" + ("-r2" if kind == 1 else "")
            r = session.get(url + path, headers={"Accept": "text/turtle"}, timeout=30)
        else:
            path = "/readyz"
            r = session.get(url + path, timeout=30)
    except requests.RequestException as exc:
        return Answer(started, "?", None, False, f"{type(exc).__name__}: {exc}")
    release = r.headers.get("Nexus-Release")
    if r.status_code >= 500:
        return Answer(started, path, release, False, f"{r.status_code}: {r.text[:300]}")
    new = release == second
    if kind == 0:
        consistent = r.status_code == 200 and r.json()["boolean"] is new
    elif kind == 1:  # the renamed claim exists only in release two, under its old IRI only in one
        consistent = (r.status_code == 200 and RENAMED in r.text) if new else r.status_code == 404
    elif kind == 2:
        consistent = r.status_code == 404 if new else (r.status_code == 200 and RENAMED not in r.text)
    else:
        consistent = r.json()["release"] == release
    return Answer(started, path, release, consistent and release in (first, second), None)


@pytest.mark.parametrize("kind", list(SERVERS))
def test_a_release_published_under_load_is_served_without_a_failed_or_mixed_answer(
    swap_project, tmp_path, kind
):
    settings, first, second = swap_project
    build_dir = tmp_path / "build"
    shutil.copytree(settings.build, build_dir, symlinks=True)
    answers: list[Answer] = []
    stop = threading.Event()

    with server(kind, settings, build_dir, tmp_path / "server.log") as url:

        def load(n: int) -> None:
            with requests.Session() as session:
                i = n
                while not stop.is_set():
                    answers.append(ask(session, url, first, second, i))
                    i += 1

        threads = [threading.Thread(target=load, args=(n,), daemon=True) for n in range(4)]
        for thread in threads:
            thread.start()
        try:
            time.sleep(2.0)
            building = time.monotonic()
            argv = [sys.executable, "-m", "nexus_ld", "--setting", "project_dir", str(settings.project),
                    "--setting", "build_dir", str(build_dir), "--setting", "inference", "rules",
                    "build"]  # fmt: skip
            built = subprocess.run(argv, capture_output=True, text=True, timeout=300)
            assert built.returncode == 0, built.stderr[-2000:]
            published = time.monotonic()
            time.sleep(AFTER_S)
        finally:
            stop.set()
            for thread in threads:
                thread.join(60)
        ready = requests.get(url + "/readyz", timeout=30).json()

    problems = [a for a in answers if a.problem]
    assert not problems, problems[:5]
    mixed = [a for a in answers if not a.consistent]
    assert not mixed, mixed[:5]
    before = [a.release for a in answers if a.started < building]
    late = [a for a in answers if a.started > published + SWITCH_S]
    assert before and set(before) == {first}
    assert late and all(a.release == second for a in late), [a for a in late if a.release != second][:5]
    assert ready["release"] == second and ready["status"] == "ready"
    switched = min(a.started for a in answers if a.release == second) - published
    print(f"{kind}: {len(answers)} answers; the first of the new release {switched:+.2f} s after `build`")
