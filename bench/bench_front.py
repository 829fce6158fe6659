"""Throughput through the caching front (issue 15): nginx with ``nexus-ld nginx-config --cache-dir``
in front of the README's gunicorn command, beside gunicorn alone and ``oxigraph serve`` on the same
build. Repeated GETs of one entity document and one SELECT (answered from nginx's cache after the
first), and distinct ones (every request a cache miss: what the front costs when it cannot help).

    python bench/bench_front.py --build-dir build [--entity group/jua] [--seconds 3] [--rounds 3]

The per-client limits are off on both nginx and the app (one load generator is one client); the
oxigraph counterpart of ``/doc/<entity>`` is ``DESCRIBE`` of the same IRI; nginx answering a fixed
100 bytes shows the most any front reaches here. Prints requests per second (wrk when installed, else a
Python thread pool) and the load average beside each row. No asserts: numbers for the closing note.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import urllib.parse
from collections.abc import Callable
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).parent))
from procs import Server, free_port  # noqa: E402 - run as a script from bench/
from servers import dataset_params, make, nexus_env, tool  # noqa: E402
from workload import load  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
TTP = "https://w3id.org/nexus-ld/id/group/ttp"
SELECT = f"SELECT ?label WHERE {{ <{TTP}> <http://www.w3.org/2000/01/rdf-schema#label> ?label }}"
RESULTS, TURTLE = "application/sparql-results+json", "text/turtle"
Paths = Callable[[str], list[str]]  # the paths of one run, by the run's name
MISSES_PER_S = 4_000  # distinct paths per second of a run: more than a miss can be answered in


def query_path(endpoint: str, text: str, params: list[tuple[str, str]] | None = None) -> str:
    return endpoint + "?" + urllib.parse.urlencode([("query", text), *(params or [])])


def production(build: Path, project: Path, folder: Path) -> tuple[Server, Server]:
    """gunicorn as the README runs it, and nginx with the cache in front of it (not started)."""
    back, front = free_port(), free_port()
    env = nexus_env(build, project, trusted_proxy_hops="1")
    gunicorn = [tool("gunicorn"), "-c", "python:nexus_ld.web.gunicorn_conf", "-k", "gthread", "-w", "2"]
    gunicorn += ["--threads", "8", "-b", f"127.0.0.1:{back}", "--limit-request-line", "8190"]
    app = Server("gunicorn", [*gunicorn, "nexus_ld.web.app:create_app()"], f"http://127.0.0.1:{back}",
                 f"http://127.0.0.1:{back}/sparql", env)  # fmt: skip
    prefix = folder / "nginx"
    prefix.mkdir(parents=True)
    for path in (folder, prefix):
        path.chmod(0o755)  # nginx's workers (nobody, when run as root) write under it
    conf = subprocess.run(
        [tool("nexus-ld"), "--setting", "rate_limit_per_minute", "0",
         "--setting", "max_inflight_per_client", "0", "nginx-config",
         "--listen", f"127.0.0.1:{front}", "--upstream", f"127.0.0.1:{back}",
         "--prefix", str(prefix), "--cache-dir", str(prefix / "cache")],
        check=True, capture_output=True, text=True, env=env, timeout=60,
    ).stdout  # fmt: skip
    (prefix / "nginx.conf").write_text(conf)
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    argv = [nginx, "-p", str(prefix), "-c", str(prefix / "nginx.conf"), "-e", str(prefix / "error.log")]
    return app, Server("nginx", argv, f"http://127.0.0.1:{front}", f"http://127.0.0.1:{front}/sparql")


def ceiling(folder: Path) -> Server:
    """nginx answering a fixed 100 bytes from memory, nothing else: the most any front can serve on this
    machine with this load generator (not started)."""
    port, prefix = free_port(), folder / "ceiling"
    prefix.mkdir()
    (prefix / "nginx.conf").write_text(
        f"daemon off; worker_processes auto; pid {prefix}/nginx.pid; error_log {prefix}/error.log warn;\n"
        "events { worker_connections 4096; }\n"
        f"http {{ access_log off; server {{ listen 127.0.0.1:{port}; default_type text/plain;\n"
        f"  location / {{ return 200 '{'x' * 100}'; }} }} }}\n"
    )
    argv = [shutil.which("nginx") or "/usr/sbin/nginx", "-p", str(prefix), "-c", str(prefix / "nginx.conf"),
            "-e", str(prefix / "error.log")]  # fmt: skip
    return Server("nginx-ceiling", argv, f"http://127.0.0.1:{port}", f"http://127.0.0.1:{port}/sparql")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build-dir", default=ROOT / "build", type=Path)
    parser.add_argument("--project-dir", default=ROOT, type=Path)
    parser.add_argument("--entity", default="group/jua", help="the /doc/ path measured (TTP's is 300 KB)")
    parser.add_argument("--seconds", default=3.0, type=float, help="length of each measurement")
    parser.add_argument("--rounds", default=3, type=int, help="contenders alternate; the median is shown")
    parser.add_argument("--connections", default=8, type=int)
    parser.add_argument("--json", type=Path, help="also write the rows here (bench/run reads them)")
    args = parser.parse_args()
    build, project = args.build_dir.resolve(), args.project_dir.resolve()
    folder = Path(tempfile.mkdtemp(prefix="nexus-ld-bench-front-"))
    app, nginx = production(build, project, folder)
    bare = ceiling(folder)
    oxigraph = make("oxigraph", build, project)
    params = dataset_params()
    doc = f"/doc/{args.entity}"
    iri = TTP.replace("group/ttp", args.entity)
    n = int(args.seconds * MISSES_PER_S)  # distinct paths per run: none repeats, every one is a miss

    def same(path: str) -> Paths:
        return lambda run: [path]

    def misses(make_path: Callable[[str], str]) -> Paths:
        return lambda run: [make_path(f"{run}-{i}") for i in range(n)]

    rows: list[tuple[str, list[tuple[str, str, Paths, str]]]] = [
        (f"repeated {doc} (Turtle)", [
            ("nginx cache", nginx.url, same(doc), TURTLE),
            ("gunicorn alone", app.url, same(doc), TURTLE),
            ("oxigraph DESCRIBE", oxigraph.url, same(query_path("/query", f"DESCRIBE <{iri}>", params)),
             TURTLE),
        ]),
        ("repeated /sparql SELECT", [
            ("nginx cache", nginx.url, same(query_path("/sparql", SELECT)), RESULTS),
            ("gunicorn alone", app.url, same(query_path("/sparql", SELECT)), RESULTS),
            ("oxigraph", oxigraph.url, same(query_path("/query", SELECT, params)), RESULTS),
            ("nginx return 200", bare.url, same("/"), "*/*"),
        ]),
        (f"distinct {doc}?n=... (all misses)", [
            ("nginx cache", nginx.url, misses(lambda k: f"{doc}?n={k}"), TURTLE),
            ("gunicorn alone", app.url, misses(lambda k: f"{doc}?n={k}"), TURTLE),
        ]),
        ("distinct /sparql SELECT (all misses)", [
            ("nginx cache", nginx.url, misses(lambda k: query_path("/sparql", f"{SELECT}\n# {k}")), RESULTS),
            ("gunicorn alone", app.url, misses(lambda k: query_path("/sparql", f"{SELECT}\n# {k}")), RESULTS),
        ]),
    ]  # fmt: skip
    try:
        for server in (oxigraph, app, nginx, bare):
            server.start(timeout=120)
        # Each cache entry is stored (on its second request) before the repeated runs: those measure hits.
        for path, accept in ((doc, TURTLE), (query_path("/sparql", SELECT), RESULTS)):
            for _ in range(2):
                requests.get(nginx.url + path, headers={"Accept": accept}, timeout=30).raise_for_status()
        print(f"requests/s (median of {args.rounds} alternating runs of {args.seconds:.0f} s, "
              f"{args.connections} connections), build {build}")  # fmt: skip
        found: list[dict] = []
        for title, contenders in rows:
            load_1min = os.getloadavg()[0]
            print(f"{title}  (load average {' '.join(f'{x:.1f}' for x in os.getloadavg())})")
            runs: dict[str, list[float]] = {label: [] for label, *_ in contenders}
            failures: dict[str, int] = {label: 0 for label, *_ in contenders}
            for k in range(args.rounds):
                for label, base, paths, accept in contenders:
                    result = load(base, paths(f"{label}-{k}".replace(" ", "_")), accept, args.seconds,
                                  args.connections)  # fmt: skip
                    runs[label].append(result["rps"] or 0.0)
                    failures[label] += result["non_2xx"] + bool(result.get("socket_errors", "").strip(" 0,"))
            for label, values in runs.items():
                failed = f"  ({failures[label]} failed)" if failures[label] else ""
                rps = statistics.median(values)
                print(f"  {label:20} {rps:9.0f}{failed}")
                found.append({"request": title, "contender": label, "requests_per_s": rps,
                              "failed": failures[label], "load_1min": load_1min})  # fmt: skip
        if args.json:
            command = shlex.join(["python", "bench/bench_front.py", *sys.argv[1:]])
            args.json.write_text(json.dumps({"command": command, "rows": found}, indent=1))
    finally:
        for server in (bare, nginx, app, oxigraph):
            server.stop()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
