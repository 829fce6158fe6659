"""Shared fixtures: one real build of the bundled data per test session, an app on it, and a real
HTTP server on a free 127.0.0.1 port."""

from __future__ import annotations

import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from werkzeug.serving import make_server

from nexus_ld.build import build
from nexus_ld.config import PROJECT_ROOT, Settings, load_settings
from nexus_ld.validate import use_engine
from nexus_ld.web.app import create_app

ROOT = PROJECT_ROOT
SOURCE_TEXT = (ROOT / "data" / "sources" / "ttp-aq-isis-nexus.txt").read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings of a fresh build of the bundled data (built once per session)."""
    folder = tmp_path_factory.mktemp("build") / "build"
    settings = load_settings({"build_dir": str(folder)}, environ={})
    build(settings)
    return settings


@pytest.fixture(scope="session")
def store(built: Settings):
    from nexus_ld.store import Store

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


def project_path(*parts: str) -> Path:
    return ROOT.joinpath(*parts)


@pytest.fixture(params=["pyshacl", "turbo"])
def shacl_engine(request: pytest.FixtureRequest) -> Iterator[str]:
    """Run a test once per SHACL engine (the test venv installs nexus-ld[fast]: both are there)."""
    use_engine(request.param)
    yield request.param
    use_engine("auto")
