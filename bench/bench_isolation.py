"""Per-request cost of issue 11's layers (network isolation; the guard in the killable process) over
HTTP, on both server kinds: the development server (threaded, query pool) and gunicorn's sync workers
(``-c python:nexus_ld.web.gunicorn_conf``).

    python bench/bench_isolation.py --build-dir build [--n 300]

For "before", run the same script with PYTHONPATH pointing at a checkout of the earlier code.
"repeated" sends one text (the guard's verdict is cached); "distinct" adds a numbered comment so the
guard reads every text. Prints p50 / p95 in milliseconds. No asserts: numbers for the closing note.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).parent))
from bench_sparql_executor import p50_p95  # noqa: E402 - run as a script from bench/
from procs import free_port  # noqa: E402

QUERIES = {
    "ask": "ASK { group:ttp rdfs:label ?l }",
    "2-hop filter": (
        "SELECT ?c ?e ?d WHERE { ?c nx:asserts ?e . ?e ?p ?t . ?t ?q ?d "
        "FILTER(datatype(?d) = xsd:date && ?d > '2010-01-01'^^xsd:date) }"
    ),
}


def command(kind: str, port: int) -> list[str]:
    if kind == "serve":
        return [sys.executable, "-m", "nexus_ld", "serve", "--host", "127.0.0.1", "--port", str(port)]
    return [
        *(sys.executable, "-m", "gunicorn", "-c", "python:nexus_ld.web.gunicorn_conf", "-w", "2"),
        *("-b", f"127.0.0.1:{port}", "nexus_ld.web.app:create_app()"),
    ]


def timed_queries(session: requests.Session, url: str, texts: list[str]) -> tuple[float, float]:
    samples = []
    for text in texts:
        start = time.perf_counter()
        session.get(url, params={"query": text}, headers={"Accept": "application/json"}).raise_for_status()
        samples.append((time.perf_counter() - start) * 1000)
    return p50_p95(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build-dir", default="build", type=Path)
    parser.add_argument("--n", default=300, type=int)
    args = parser.parse_args()
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEXUS_LD_")}
    env |= {"NEXUS_LD_BUILD_DIR": str(args.build_dir.resolve()), "NEXUS_LD_RATE_LIMIT_PER_MINUTE": "0"}
    print(f"{'server':9} {'query':14} {'repeated p50':>13} {'p95':>8} {'distinct p50':>13} {'p95':>8}")
    for kind in ("serve", "gunicorn"):
        port = free_port()
        proc = subprocess.Popen(command(kind, port), env=env, stderr=subprocess.DEVNULL)
        url = f"http://127.0.0.1:{port}/sparql"
        try:
            session = requests.Session()
            deadline = time.monotonic() + 60
            while True:
                try:
                    session.get(url, params={"query": "ASK {}"}).raise_for_status()
                    break
                except requests.RequestException:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.2)
            for name, text in QUERIES.items():
                timed_queries(session, url, [text] * 20)  # warm up every worker
                same = timed_queries(session, url, [text] * args.n)
                distinct = timed_queries(session, url, [f"{text}\n# {i}" for i in range(args.n)])
                numbers = f"{same[0]:13.2f} {same[1]:8.2f} {distinct[0]:13.2f} {distinct[1]:8.2f}"
                print(f"{kind:9} {name:14} {numbers}")
        finally:
            proc.terminate()
            proc.wait(30)


if __name__ == "__main__":
    main()
