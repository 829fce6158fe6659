"""What one entity page costs, embedded and over a real `oxigraph serve` (issue 12): round trips to the
store (counted at a forwarding server on 127.0.0.1), triples and quotes in the description, and the
time of the whole HTML page through the app.

    python bench/describe_cost.py --build-dir build [--path group/ttp] [--n 5]

The build is loaded into a fresh `oxigraph serve` with `nexus-ld`'s own loader (`remote.upload_build`).
No asserts: numbers for the closing note.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pyoxigraph as ox
import requests

from nexus_ld.config import load_settings
from nexus_ld.store.remote import upload_build
from nexus_ld.web.app import create_app

OA_EXACT = ox.NamedNode("http://www.w3.org/ns/oa#exact")


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Counter(ThreadingHTTPServer):
    """Forwards every request to ``target`` and counts them."""

    def __init__(self, target: str) -> None:
        self.count = 0
        outer = self

        class Forward(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                outer.count += 1
                headers = {k: self.headers[k] for k in ("Content-Type", "Accept") if self.headers[k]}
                answer = requests.post(target + self.path, data=body, headers=headers, timeout=60)
                self.send_response(answer.status_code)
                self.send_header("Content-Type", answer.headers.get("Content-Type", "text/plain"))
                self.send_header("Content-Length", str(len(answer.content)))
                self.end_headers()
                self.wfile.write(answer.content)

            def log_message(self, *args: object) -> None:
                pass

        super().__init__(("127.0.0.1", free_port()), Forward)
        threading.Thread(target=self.serve_forever, daemon=True).start()


def page(app, path: str, n: int) -> tuple[float, int, int]:
    """(median ms of the HTML page, triples, quotes of the Turtle description)."""
    client = app.test_client()
    times = []
    for _ in range(n):
        started = time.perf_counter()
        assert client.get(f"/doc/{path}", headers={"Accept": "text/html"}).status_code == 200
        times.append((time.perf_counter() - started) * 1000)
    turtle = client.get(f"/doc/{path}", headers={"Accept": "text/turtle"}).data
    triples = list(ox.parse(turtle, format=ox.RdfFormat.TURTLE))
    return statistics.median(times), len(triples), sum(1 for t in triples if t.predicate == OA_EXACT)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--build-dir", type=Path, required=True)
    parser.add_argument("--path", default="group/ttp")
    parser.add_argument("--n", type=int, default=5)
    args = parser.parse_args()
    oxigraph = shutil.which("oxigraph", path=str(Path(sys.executable).parent)) or "oxigraph"
    embedded = create_app(load_settings({"build_dir": str(args.build_dir)}, environ={}))
    ms, triples, quotes = page(embedded, args.path, args.n)
    print(f"embedded: {ms:.0f} ms per page, {triples} triples, {quotes} quotes")
    with tempfile.TemporaryDirectory() as folder:
        port = free_port()
        cmd = [oxigraph, "serve", "--location", folder, "--bind", f"127.0.0.1:{port}"]
        server = subprocess.Popen(cmd, stderr=subprocess.DEVNULL)
        try:
            for _ in range(200):
                try:
                    requests.get(f"http://127.0.0.1:{port}/query?query=ASK%7B%7D", timeout=1)
                    break
                except requests.RequestException:
                    time.sleep(0.05)
            upload_build(args.build_dir, f"http://127.0.0.1:{port}/store")
            counter = Counter(f"http://127.0.0.1:{port}")
            settings = {
                "build_dir": str(args.build_dir),
                "store_url": f"http://127.0.0.1:{counter.server_port}/query",
            }
            remote = create_app(load_settings(settings, environ={}))
            before = counter.count
            ms, triples, quotes = page(remote, args.path, args.n)
            trips = (counter.count - before) / (args.n + 1)
            print(f"oxigraph serve: {ms:.0f} ms per page, {trips:.0f} round trips per page,", end=" ")
            print(f"{triples} triples, {quotes} quotes")
            counter.shutdown()
        finally:
            server.terminate()
            server.wait()


if __name__ == "__main__":
    main()
