"""Shared fixtures: a copy of the project's inputs and one real build of it per test session, an app on
it, a real HTTP server on a free 127.0.0.1 port, and the SHACL engine to run a test with.

Tests read the project's inputs (ontology/, shapes/, data/, queries/) from ``project_dir``, a copy taken
once per session: a contribution accepted in the checkout does not change what they test, and nothing
they do writes to the working tree."""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from rdflib import Graph
from werkzeug.serving import make_server

from nexus_ld.config import PROJECT_ROOT, Settings, load_settings
from nexus_ld.namespaces import DEFAULT_BASE
from nexus_ld.pipeline.build import build
from nexus_ld.pipeline.infer import owl_rl_entailments
from nexus_ld.pipeline.load import Project, load_project
from nexus_ld.pipeline.shapes import use_engine
from nexus_ld.web.app import create_app

ROOT = PROJECT_ROOT
SOURCE_TEXT = (ROOT / "data" / "sources" / "ttp-aq-isis-nexus.txt").read_text(encoding="utf-8")


INPUTS = ("ontology", "shapes", "data", "queries")
# Builds whose subject is not inference, the session build too, compute the OWL 2 RL entailments as
# SPARQL rules: the same entailments as owlrl, the default, 30-100x faster. test_infer.py makes the one
# owlrl build and shows that its graphs are the session build's.
QUICK_BUILD = {"inference": "rules"}


def copy_project(target: Path, source: Path = PROJECT_ROOT) -> Path:
    """A copy of the project's inputs (ontology, shapes, data, example queries) to build and change freely."""
    target.mkdir(parents=True, exist_ok=True)
    for name in INPUTS:
        if (source / name).exists():
            shutil.copytree(source / name, target / name, dirs_exist_ok=True)
    return target


def settings_for(project: Path, **overrides) -> Settings:
    """Settings of a project folder: its build and inbox inside it, no limit on contributions."""
    values = {
        "project_dir": str(project),
        "build_dir": str(project / "build"),
        "inbox_path": str(project / "inbox" / "contributions.sqlite"),
        "contribution_rate_per_minute": 0,
    }
    return load_settings(values | overrides, environ={})


@pytest.fixture(scope="session")
def project_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project's inputs, copied once per session; the session build is in its build/."""
    return copy_project(tmp_path_factory.mktemp("project") / "project")


@pytest.fixture(scope="session")
def project(project_dir: Path) -> Project:
    """The parsed inputs of the session copy (shared read-only)."""
    return load_project(project_dir)


@pytest.fixture(scope="session")
def owlrl_entailed(project: Project) -> Graph:
    """The OWL 2 RL entailments of the bundled data by owlrl (the slowest step of a build; computed once)."""
    return owl_rl_entailments(project.ontology, project.data, DEFAULT_BASE)


@pytest.fixture(scope="session")
def built(project_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings of a fresh build of the bundled data (built once per session, entailments by the
    rules), default limits."""
    inbox = tmp_path_factory.mktemp("inbox") / "contributions.sqlite"
    values = {"project_dir": str(project_dir), "build_dir": str(project_dir / "build"), **QUICK_BUILD}
    settings = load_settings(values | {"inbox_path": str(inbox)}, environ={})
    build(settings)
    return settings


@pytest.fixture(scope="session")
def bundled(built: Settings) -> Settings:
    """The session build with the contribution tests' settings (its own inbox, no rate limit); shared
    read-only: a test that accepts contributions works on its own copy (``writable_copy``)."""
    return settings_for(built.project)


@pytest.fixture(scope="session")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """A build of synthetic data larger than the bundled data (bench/generate.py, 10k triples)."""
    target = tmp_path_factory.mktemp("synthetic") / "project"
    subprocess.run(
        [sys.executable, str(PROJECT_ROOT / "bench" / "generate.py"), "--size", "10k", "--out", str(target)],
        check=True,
        capture_output=True,
    )
    settings = settings_for(target, **QUICK_BUILD)
    build(settings)
    return settings


@pytest.fixture(scope="session")
def store(built: Settings):
    from nexus_ld.store.embedded import Store

    return Store.open(built.build)


def make_app(built: Settings, **overrides):
    """An app on the session build with some settings changed."""
    app = create_app(load_settings(dict(built.values) | overrides, environ={}))
    app.config["TESTING"] = True
    return app


@pytest.fixture(scope="session")
def app(built: Settings):
    return make_app(built)


@pytest.fixture()
def client(app):
    return app.test_client()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop_process(proc: subprocess.Popen) -> None:
    """End a server the tests started: SIGTERM, then SIGKILL if it has not exited within 20 s."""
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def wait_until_responds(
    url: str, timeout: float = 20.0, proc: subprocess.Popen | None = None, log: Path | None = None
) -> None:
    """Poll ``url`` until the server answers; when it runs as ``proc`` and exits first, fail at once
    with the end of its ``log``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            tail = log.read_text(errors="replace")[-2000:] if log is not None else ""
            raise RuntimeError(f"the server for {url} exited with {proc.returncode}: {tail}")
        try:
            requests.get(url, timeout=5)
            return
        except requests.RequestException:
            time.sleep(0.05)
    raise RuntimeError(f"{url} did not answer within {timeout} s")


class LiveServer:
    """A real threaded WSGI server on 127.0.0.1 serving an app, stopped at the end."""

    def __init__(self, app) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._server = make_server("127.0.0.1", self.port, app, threaded=True)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> LiveServer:
        self._thread.start()
        wait_until_responds(self.url + "/healthz")
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()


@pytest.fixture(scope="session")
def live_server(built: Settings) -> Iterator[LiveServer]:
    """The app on a real HTTP server (session-wide)."""
    with LiveServer(make_app(built)) as server:
        yield server


@pytest.fixture(params=["pyshacl", "turbo"])
def shacl_engine(request: pytest.FixtureRequest) -> Iterator[str]:
    """Run a test once per SHACL engine (the test venv installs nexus-ld[fast]: both are there)."""
    use_engine(request.param)
    yield request.param
    use_engine("auto")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A test on the session's real HTTP server joins the live lane (modules of live tests say
    ``pytestmark = pytest.mark.live``); the fast lane, ``-m "not live"``, is unit tests and Flask's
    in-process test client.

    Modules with live tests run first, each in its own order: they are the long ones, mostly waiting
    on servers, and pytest-xdist hands out modules in this order, so the many short modules of the
    fast lane come last and even out the workers' ends."""
    for item in items:
        if "live_server" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.live)
    live_modules = {item.module for item in items if item.get_closest_marker("live")}
    items.sort(key=lambda item: item.module not in live_modules)


# Tests never write to the checkout: its inputs, build and inbox are the same after the session.
CHECKOUT = tuple(PROJECT_ROOT / name for name in (*INPUTS, "build", "inbox"))
_checkout_before = pytest.StashKey[list[tuple[str, int, int]]]()


def checkout_state() -> list[tuple[str, int, int]]:
    """Every file of the checkout's inputs, build and inbox with its size and modification time."""
    return sorted(
        (str(path), path.stat().st_size, path.stat().st_mtime_ns)
        for folder in CHECKOUT
        for path in folder.rglob("*")
        if path.is_file()
    )


def pytest_sessionstart(session: pytest.Session) -> None:
    session.config.stash[_checkout_before] = checkout_state()


def pytest_sessionfinish(session: pytest.Session) -> None:
    before = set(session.config.stash[_checkout_before])
    after = set(checkout_state())
    changed = sorted({path for path, *_ in before ^ after})
    if changed:
        session.config.get_terminal_writer().line(
            "the tests changed the checkout (they must work on copies): " + ", ".join(changed[:10]), red=True
        )
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
