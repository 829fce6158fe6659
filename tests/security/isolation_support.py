"""Shared by tests/security/test_isolation_*.py: a loopback canary and the documented gunicorn command
with the nexus-ld hooks (``-c python:nexus_ld.web.gunicorn_conf``)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from nexus_ld.config import Settings
from tests.conftest import free_port, stop_process, wait_until_responds


class Canary:
    """A tiny HTTP server on 127.0.0.1 that records every request it gets (method, path)."""

    def __init__(self) -> None:
        self.hits: list[tuple[str, str]] = []
        hits = self.hits

        class Handler(BaseHTTPRequestHandler):
            def _record(self) -> None:
                hits.append((self.command, self.path))
                self.send_response(200)
                self.send_header("Content-Type", "application/sparql-results+json")
                self.end_headers()
                self.wfile.write(b'{"head":{"vars":[]},"results":{"bindings":[{}]}}')

            do_GET = do_POST = _record

            def log_message(self, *args: object) -> None:
                pass

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/sparql"
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> Canary:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


@contextmanager
def gunicorn_with_hooks(
    built: Settings, tmp_path_factory: pytest.TempPathFactory, **settings: str
) -> Iterator[tuple[str, int]]:
    """``gunicorn -c python:nexus_ld.web.gunicorn_conf -w 2 -b 127.0.0.1:PORT
    'nexus_ld.web.app:create_app()'`` on the session build, configured by NEXUS_LD_* only;
    yields (url, master pid)."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEXUS_LD_")}
    env |= {
        "NEXUS_LD_BUILD_DIR": str(built.build),
        "NEXUS_LD_RATE_LIMIT_PER_MINUTE": "0",
        "NEXUS_LD_CONTRIBUTION_RATE_PER_MINUTE": "0",
        "NEXUS_LD_INBOX_PATH": str(tmp_path_factory.mktemp("inbox") / "contributions.sqlite"),
    }
    env |= {"NEXUS_LD_" + name.upper(): value for name, value in settings.items()}
    cmd = [sys.executable, "-m", "gunicorn", "-c", "python:nexus_ld.web.gunicorn_conf"]
    cmd += ["-w", "2", "-b", f"127.0.0.1:{port}", "nexus_ld.web.app:create_app()"]
    log = tmp_path_factory.mktemp("gunicorn") / "stderr.log"
    with open(log, "wb") as stderr:  # a file, not a pipe: a full pipe would block the server
        proc = subprocess.Popen(cmd, env=env, cwd=log.parent, stderr=stderr)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_responds(url + "/healthz", 90.0, proc, log)
        yield url, proc.pid
    finally:
        stop_process(proc)
