"""Throughput through the caching front (issue 15): nginx with ``nexus-ld nginx-config --cache-dir``
in front of the README's gunicorn command, beside gunicorn alone and ``oxigraph serve`` on the same
build. Repeated GETs (answered from nginx's cache after the first two) of: one entity document, as
Turtle and as the HTML page; one trivial SELECT (one entity's labels); and every example query of
``queries/*.rq``, none left out. Distinct GETs (every request a miss: what the front costs when it cannot
help).

    python bench/bench_front.py --build-dir build [--project-dir DIR] [--entity group/jua]
        [--seconds 3] [--rounds 3] [--json FILE]

On a generated project (``bench/generate.py``) the entity and the trivial SELECT's subject are the
project's first group. The per-client limits are off on both nginx and the app (one load generator is
one client); the oxigraph counterpart of ``/doc/<entity>`` is ``DESCRIBE`` of the same IRI (for the
HTML page too: the least the page needs), and of ``/sparql`` the same text on ``/query`` with nexus-ld's
dataset (``servers.dataset_params``). nginx answering a fixed 100 bytes shows the most any front
reaches on this machine. Prints requests per second (wrk when installed, else a Python thread pool),
the load average beside each number and the ratio of the cache to Oxigraph per row. No asserts:
numbers for the closing note; ``--json`` writes them as
``{"command", "rows": [{"request", "contender", "requests_per_s", "failed", "load_1min"}]}``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).parent))
from procs import Server, free_port  # noqa: E402 - run as a script from bench/
from servers import dataset_params, make, nexus_env, tool  # noqa: E402
from workload import BASE, accept_for, load, parameters  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
TTP = BASE + "group/ttp"
RESULTS, TURTLE, HTML = "application/sparql-results+json", "text/turtle", "text/html"
Paths = Callable[[str], list[str]]  # the paths of one run, by the run's name
MISSES_PER_S = 4_000  # distinct paths per second of a run: more than a miss can be answered in
TEN_TIMES = 10.0  # the target for cached answers against Oxigraph
# An answer slower than this is a failure (wrk's own default, 2 s, is below the example queries at 1M).
ANSWER_TIMEOUT_S = 30.0


@dataclass
class Contender:
    label: str
    base: str
    paths: Paths
    accept: str


def label_select(iri: str) -> str:
    return f"SELECT ?label WHERE {{ <{iri}> <http://www.w3.org/2000/01/rdf-schema#label> ?label }}"


def query_path(endpoint: str, text: str, params: list[tuple[str, str]] | None = None) -> str:
    return endpoint + "?" + urllib.parse.urlencode([("query", text), *(params or [])])


def production(build: Path, project: Path, folder: Path) -> tuple[Server, Server]:
    """gunicorn as the README runs it, and nginx with the cache in front of it (not started)."""
    back, front = free_port(), free_port()
    # The inbox under the run's own folder: a generated project is shared and read-only.
    env = nexus_env(build, project, trusted_proxy_hops="1", inbox_path=str(folder / "inbox.sqlite"))
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


def subjects(project: Path, entity: str | None) -> tuple[str, str]:
    """The entity document measured (a path under /doc/) and the trivial SELECT's subject: JUA's and
    TTP's on the bundled data, a generated project's first group otherwise."""
    if project == ROOT:
        return entity or "group/jua", TTP
    first = parameters(project, count=1)["group"][0]
    return entity or first.removeprefix(BASE), first


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build-dir", default=ROOT / "build", type=Path)
    parser.add_argument("--project-dir", default=ROOT, type=Path)
    parser.add_argument("--entity", help="the /doc/ path measured (default: see above; TTP's is 300 KB)")
    parser.add_argument("--seconds", default=3.0, type=float, help="length of each measurement")
    parser.add_argument("--rounds", default=3, type=int, help="contenders alternate; the median is shown")
    parser.add_argument("--connections", default=8, type=int)
    parser.add_argument("--json", type=Path, help="also write the rows to this file")
    args = parser.parse_args()
    # A stopped run (bench/run's timeout, a kill) still stops its servers: the `finally` runs on SystemExit.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    build, project = args.build_dir.resolve(), args.project_dir.resolve()
    folder = Path(tempfile.mkdtemp(prefix="nexus-ld-bench-front-"))
    app, nginx = production(build, project, folder)
    bare = ceiling(folder)
    oxigraph = make("oxigraph", build, project)
    params = dataset_params()
    entity, subject = subjects(project, args.entity)
    doc, iri, select = f"/doc/{entity}", BASE + entity, label_select(subject)
    n = int(args.seconds * MISSES_PER_S)  # distinct paths per run: none repeats, every one is a miss

    def same(path: str) -> Paths:
        return lambda run: [path]

    def misses(make_path: Callable[[str], str]) -> Paths:
        return lambda run: [make_path(f"{run}-{i}") for i in range(n)]

    def repeated(text: str, accept: str) -> list[Contender]:
        """The same query through the cache, to gunicorn alone and to Oxigraph."""
        return [
            Contender("nginx cache", nginx.url, same(query_path("/sparql", text)), accept),
            Contender("gunicorn alone", app.url, same(query_path("/sparql", text)), accept),
            Contender("oxigraph", oxigraph.url, same(query_path("/query", text, params)), accept),
        ]

    describe_iri = same(query_path("/query", f"DESCRIBE <{iri}>", params))
    describe = Contender("oxigraph DESCRIBE", oxigraph.url, describe_iri, TURTLE)
    examples = {rq.stem: rq.read_text(encoding="utf-8") for rq in sorted((ROOT / "queries").glob("*.rq"))}
    doc_misses = misses(lambda k: f"{doc}?n={k}")
    select_misses = misses(lambda k: query_path("/sparql", f"{select}\n# {k}"))
    rows: list[tuple[str, list[Contender]]] = [
        (f"repeated {doc} (Turtle)", [
            Contender("nginx cache", nginx.url, same(doc), TURTLE),
            Contender("gunicorn alone", app.url, same(doc), TURTLE),
            describe,
        ]),
        (f"repeated {doc} (HTML page)", [
            Contender("nginx cache", nginx.url, same(doc), HTML),
            Contender("gunicorn alone", app.url, same(doc), HTML),
            describe,
        ]),
        ("repeated /sparql trivial SELECT (one entity's labels)", [
            *repeated(select, RESULTS),
            Contender("nginx return 200", bare.url, same("/"), "*/*"),
        ]),
        *((f"repeated /sparql example {k}", repeated(q, accept_for(q))) for k, q in examples.items()),
        (f"distinct {doc}?n=... (all misses)", [
            Contender("nginx cache", nginx.url, doc_misses, TURTLE),
            Contender("gunicorn alone", app.url, doc_misses, TURTLE),
        ]),
        ("distinct /sparql trivial SELECT (all misses)", [
            Contender("nginx cache", nginx.url, select_misses, RESULTS),
            Contender("gunicorn alone", app.url, select_misses, RESULTS),
        ]),
    ]  # fmt: skip
    table: list[dict[str, object]] = []
    try:
        for server in (oxigraph, app, nginx, bare):
            server.start(timeout=120)
        # Each cache entry is stored (on its second request) before the repeated runs: those measure hits.
        # Under wrk's key: its Accept and no Accept-Encoding (requests would ask for gzip, another entry).
        for title, contenders in rows:
            for c in contenders:
                if title.startswith("repeated") and c.label == "nginx cache":
                    for _ in range(2):
                        headers = {"Accept": c.accept, "Accept-Encoding": None}
                        answer = requests.get(
                            c.base + c.paths("warm")[0], headers=headers, timeout=ANSWER_TIMEOUT_S
                        )
                        answer.raise_for_status()
        print(f"requests/s (median of {args.rounds} alternating runs of {args.seconds:.0f} s, "
              f"{args.connections} connections; 1-min load average after its runs), {build}")  # fmt: skip
        for title, contenders in rows:
            print(title)
            measured = alternate(contenders, args)
            for label, (rps, failed, load_1min) in measured.items():
                table.append({"request": title, "contender": label, "requests_per_s": rps, "failed": failed,
                              "load_1min": load_1min})  # fmt: skip
                print(
                    f"  {label:20} {rps:9.0f}  (load {load_1min:.1f})"
                    + (f"  ({failed} failed)" if failed else "")
                )
            oxi = next((rps for label, (rps, *_) in measured.items() if label.startswith("oxigraph")), None)
            if oxi:
                ratio = measured["nginx cache"][0] / oxi
                print(f"  cache/oxigraph {ratio:.1f}x" + ("  (>= 10x)" if ratio >= TEN_TIMES else ""))
                if "nginx return 200" in measured:  # no front serves a cached answer faster than this
                    print(f"  ceiling/oxigraph {measured['nginx return 200'][0] / oxi:.1f}x")
    finally:
        for server in (bare, nginx, app, oxigraph):
            server.stop()
        shutil.rmtree(folder, ignore_errors=True)
    if args.json:
        command = " ".join(["python", *sys.argv])
        args.json.write_text(
            json.dumps({"command": command, "rows": table}, indent=1) + "\n", encoding="utf-8"
        )


def alternate(contenders: list[Contender], args: argparse.Namespace) -> dict[str, tuple[float, int, float]]:
    """Per contender: the median requests/s of ``args.rounds`` runs (contenders alternating), the
    requests that failed in all of them, and the mean 1-min load average after its runs."""
    runs: dict[str, list[float]] = {c.label: [] for c in contenders}
    failed = dict.fromkeys(runs, 0)
    loads: dict[str, list[float]] = {c.label: [] for c in contenders}
    for k in range(args.rounds):
        for c in contenders:
            result = load(c.base, c.paths(f"{c.label}-{k}".replace(" ", "_")), c.accept, args.seconds,
                          args.connections, timeout_s=ANSWER_TIMEOUT_S)  # fmt: skip
            runs[c.label].append(result["rps"] or 0.0)
            failed[c.label] += result["non_2xx"] + socket_errors(result.get("socket_errors", ""))
            loads[c.label].append(os.getloadavg()[0])
    return {
        label: (statistics.median(v), failed[label], statistics.mean(loads[label]))
        for label, v in runs.items()
    }


def socket_errors(summary: str) -> int:
    """The sum of wrk's ``connect 0, read 0, write 0, timeout 3``."""
    return sum(int(x) for x in re.findall(r"\d+", summary))


if __name__ == "__main__":
    main()
