"""Throughput through the caching front (issue 15): nginx with ``nexus-ld nginx-config --cache-dir``
in front of the README's gunicorn command, beside gunicorn alone and ``oxigraph serve`` on the same
build. Repeated GETs (answered from nginx's cache after the first two) of: one entity document, as
Turtle, as Turtle asked with ``Accept-Encoding: gzip`` (what browsers and ``curl --compressed`` send)
and as the HTML page; one trivial SELECT (one entity's labels); and every example query of
``queries/*.rq``, none left out. Distinct GETs (every request a miss: what the front costs when it
cannot help): the document and the trivial SELECT, whose cost is mostly the request's own, and a few
example queries (``MISS_EXAMPLES``) made unique by a comment, which cost what a real miss costs.

    python bench/bench_front.py --build-dir build [--project-dir DIR] [--entity group/jua]
        [--seconds 2] [--rounds 3] [--hit-rounds 1] [--miss-seconds 1] [--miss-rounds 5] [--pairs 1000]
        [--pair-seconds 2] [--json FILE]

On a generated project (``bench/generate.py``) the entity and the trivial SELECT's subject are the
project's first group. The per-client limits are off on both nginx and the app (one load generator is
one client); the oxigraph counterpart of ``/doc/<entity>`` is ``DESCRIBE`` of the same IRI (for the
HTML page too: the least the page needs), and of ``/sparql`` the same text on ``/query`` with nexus-ld's
dataset (``servers.dataset_params``). nginx answering a fixed 100 bytes (the ceiling) shows the most any
front reaches on this machine; each row's cache rate is also given over it.

Contenders alternate within a row, ``--rounds`` times (the median is kept), except the repeated rows
of documents and example queries: ``--hit-rounds`` (1 by default), since their cache/Oxigraph ratios
are far from 1 and the 20 rows are most of the run's time; a row whose ratio comes out within a factor
1.5 of 10x (``borderline``) gets the other rounds of ``--rounds`` too. The trivial SELECT (with the
ceiling) and the misses, whose ratios are near 1, always get ``--rounds``. After every run the
benchmark waits until all its servers are idle (``wait_idle``), so that answers still being computed
when wrk stops (slow queries at 1M) are not charged to the next contender. Per run it also reads each
server's CPU time, given per request answered; on the miss rows wrk counts each answer's
``X-Cache-Status`` (a ``MISS`` is an answer nginx fetched from gunicorn). Prints requests per second
(wrk when installed, else a Python thread pool) with the load average.

Whether a miss is slower through the front is answered in pairs, with a confidence interval. Each
miss row's throughput rounds (``--miss-rounds`` of ``--miss-seconds``; who goes first alternates by
round) give one front/alone ratio per round; then, at concurrency 1, up to ``--pairs`` pairs (at most
``--pair-seconds``) of one request through the front and one to gunicorn alone, every path new (each
front answer's ``X-Cache-Status`` counted), who goes first alternating, one kept-alive connection per
contender (``http.client``): the p50 of each, the median of the per-pair ratios and of the ms the
front adds, each with a percentile-bootstrap 95% interval (``median_ci``), and a verdict: "slower by
X%" only when the whole interval is above 1, else "no slower within X%" (X the interval's upper end).
No asserts: numbers for the closing note; ``--json`` writes them as ``{"command", "ceiling_rps",
"rows": [{"request", "contender", "requests_per_s", "runs_rps", "rounds", "failed", "load_1min", "requests",
"cpu_ms_per_request": {server: ms}, "drain_s", "cache_status": {value: n}, "bytes",
"content_encoding"}] (the last three where measured), "misses": [{"request", "throughput": {"rounds",
"ratio", "ratio_ci", "verdict"}, "latency": {"pairs", "front_p50_ms", "alone_p50_ms", "ratio",
"ratio_ci", "added_ms", "added_ms_ci", "verdict", "failed", "cache_status", "connections_opened",
"load_1min"}}]}``.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).parent))
from procs import Server, cpu_seconds, free_port  # noqa: E402 - run as a script from bench/
from servers import dataset_params, make, nexus_env, tool  # noqa: E402
from workload import BASE, accept_for, load, parameters  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
TTP = BASE + "group/ttp"
RESULTS, TURTLE, HTML = "application/sparql-results+json", "text/turtle", "text/html"
Paths = Callable[[str], list[str]]  # the paths of one run, by the run's name
MISSES_PER_S = 4_000  # distinct paths per second of a run: more than a miss can be answered in
EXAMPLE_MISSES_PER_S = 3_000  # the same for the example queries (1-3 KB each, at most ~900/s at 10k)
# Examples whose misses are measured: a small SELECT, the largest answer (every allegation, with its
# words), a join over claims and dates, and figures with their sources.
MISS_EXAMPLES = ("01-ttp-leaders", "03-allegations", "05-attacks-claimed-2021", "14-statistics")
TEN_TIMES = 10.0  # the target for cached answers against Oxigraph
BORDER = 1.5  # a one-round row this close to TEN_TIMES gets every round (a factor 2 took 7 min at 10k)
# An answer slower than this is a failure (wrk's own default, 2 s, is below the example queries at 1M).
ANSWER_TIMEOUT_S = 30.0
# A server is drained once its processes use less than this share of one core over a window. Measured
# in clock ticks (10 ms): 3 ticks in 0.3 s; idle gunicorn, nginx and Oxigraph use none.
IDLE_SHARE, IDLE_WINDOW_S = 0.1, 0.3
DRAIN_LIMIT_S = 2 * ANSWER_TIMEOUT_S  # the app stops a query at its query_timeout_s (30 s) before this
WARM_PAIRS = 1  # the first pair of a latency row opens the connections: not counted
MIN_PAIRS = 5  # counted before the time limit may stop a row (a miss of the old 03 took 1.2 s at 1M)
CONFIDENCE, RESAMPLES, SEED = 0.95, 2_000, 15  # the bootstrap of a median (seeded: the same data, one CI)


@dataclass
class Contender:
    label: str
    base: str
    paths: Paths
    accept: str
    headers: dict[str, str] = field(default_factory=dict)  # sent beside Accept


@dataclass
class Row:
    title: str
    contenders: list[Contender]
    rounds: int
    misses: bool = False  # every request a different path: wrk counts X-Cache-Status (what was forwarded)


def wait_idle(pids: list[int], window_s: float = IDLE_WINDOW_S, limit_s: float = DRAIN_LIMIT_S) -> float:
    """Wait until the processes ``pids`` (with their descendants) together use less than ``IDLE_SHARE``
    of a core over ``window_s``, or ``limit_s`` has passed; returns the seconds waited."""
    started = time.monotonic()
    while True:
        before = sum(cpu_seconds(p) for p in pids)
        time.sleep(window_s)
        used = sum(cpu_seconds(p) for p in pids) - before
        waited = time.monotonic() - started
        if used < IDLE_SHARE * window_s or waited >= limit_s:
            return waited


def median_ci(
    values: list[float], level: float = CONFIDENCE, resamples: int = RESAMPLES, seed: int = SEED
) -> tuple[float, float, float]:
    """The median of ``values`` and a percentile-bootstrap ``level`` confidence interval of it: the
    medians of ``resamples`` samples of the same size drawn with replacement, cut at both tails."""
    if not values:
        raise ValueError("no values to take a median of")
    rng = random.Random(seed)
    medians = sorted(statistics.median(rng.choices(values, k=len(values))) for _ in range(resamples))
    tail = (1 - level) / 2 * resamples
    return statistics.median(values), medians[int(tail)], medians[resamples - 1 - int(tail)]


def verdict(ratio: float, low: float, high: float) -> str:
    """The answer to "no slower through the front?" from the median ratio of the front's cost to gunicorn
    alone's (above 1: slower) and its confidence interval: slower only when the whole interval is."""
    ci = f"({CONFIDENCE:.0%} CI {low - 1:+.1%} to {high - 1:+.1%})"
    if low > 1:
        return f"slower by {ratio - 1:.1%} {ci}"
    if high < 1:
        return f"faster by {1 - ratio:.1%} {ci}"
    return f"no slower within {high - 1:.1%} {ci}"


def paired(front: list[float], alone: list[float]) -> dict[str, object]:
    """Pairs of one request's milliseconds (through the front, to gunicorn alone): the p50 of each, the
    median of the per-pair ratios front/alone and of the per-pair differences (the ms the front adds to
    a miss), each with its confidence interval, and the verdict on the ratio."""
    if len(front) != len(alone):
        raise ValueError(f"{len(front)} front and {len(alone)} alone: not pairs")
    ratio = median_ci([f / a for f, a in zip(front, alone, strict=True)])
    added = median_ci([f - a for f, a in zip(front, alone, strict=True)])
    return {
        "pairs": len(front),
        "front_p50_ms": statistics.median(front),
        "alone_p50_ms": statistics.median(alone),
        "ratio": ratio[0],
        "ratio_ci": list(ratio[1:]),
        "added_ms": added[0],
        "added_ms_ci": list(added[1:]),
        "verdict": verdict(*ratio),
    }


def paired_rounds(front_rps: list[float], alone_rps: list[float]) -> dict[str, object]:
    """Throughput rounds paired (round k of each contender, run one after the other): the median of the
    per-round ratios of requests/s front/alone with its confidence interval, and the verdict on the cost
    ratio (alone/front: the time a request takes through the front over alone's)."""
    if len(front_rps) != len(alone_rps):
        raise ValueError(f"{len(front_rps)} front and {len(alone_rps)} alone rounds: not pairs")
    rate = median_ci([f / a for f, a in zip(front_rps, alone_rps, strict=True)])
    cost = median_ci([a / f for f, a in zip(front_rps, alone_rps, strict=True)])
    return {"rounds": len(front_rps), "ratio": rate[0], "ratio_ci": list(rate[1:]), "verdict": verdict(*cost)}


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
    parser.add_argument("--seconds", default=2.0, type=float, help="length of each measurement")
    parser.add_argument("--rounds", default=3, type=int, help="contenders alternate; the median is shown")
    parser.add_argument("--hit-rounds", default=1, type=int, help="rounds of repeated documents, examples")
    parser.add_argument("--connections", default=8, type=int)
    # Misses: more, shorter throughput rounds (each a pair) and the latency pairs, in about the time the
    # rounds of --seconds took; bench/run sets only --seconds and --rounds.
    parser.add_argument("--miss-seconds", type=float, help="each throughput run of a miss row (seconds/2)")
    parser.add_argument("--miss-rounds", type=int, help="paired throughput rounds of a miss row (2 rounds-1)")
    parser.add_argument("--pairs", default=1000, type=int, help="latency pairs per miss row, at most")
    parser.add_argument("--pair-seconds", type=float, help="latency pairs of a row, at most (seconds)")
    parser.add_argument("--json", type=Path, help="also write the rows to this file")
    args = parser.parse_args()
    args.miss_seconds = args.miss_seconds or max(1.0, args.seconds / 2)  # wrk runs at least 1 s
    args.miss_rounds = args.miss_rounds or 2 * args.rounds - 1
    args.pair_seconds = args.pair_seconds or args.seconds
    # A stopped run (bench/run's timeout, a kill) still stops its servers: the `finally` runs on SystemExit.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    build, project = args.build_dir.resolve(), args.project_dir.resolve()
    folder = Path(tempfile.mkdtemp(prefix="nexus-ld-bench-front-"))
    app, nginx = production(build, project, folder)
    bare = ceiling(folder)
    oxigraph = make("oxigraph", build, project)
    # Started in this order (nginx's readiness is an answer from gunicorn), stopped in the reverse.
    servers = {"oxigraph": oxigraph, "gunicorn": app, "nginx": nginx, "nginx return 200": bare}
    rows = plan(args, nginx.url, app.url, oxigraph.url, bare.url, project)
    table: list[dict[str, object]] = []
    pairs: list[dict[str, object]] = []  # per miss row: its throughput rounds paired, its latency pairs
    ceiling_rps = None
    try:
        for server in servers.values():
            server.start(timeout=120)
        warm(rows)
        print(f"requests/s (median of {args.rounds} alternating runs of {args.seconds:.0f} s, "
              f"{args.hit_rounds} for the repeated documents and examples, {args.miss_rounds} of "
              f"{args.miss_seconds:.0f} s for the misses, {args.connections} connections; "
              f"1-min load average after its runs), {build}")  # fmt: skip
        for row in rows:
            print(row.title)
            measured = alternate(row, args, servers)
            if row.rounds < args.rounds and borderline(measured):
                row.rounds = args.rounds  # the verdict depends on it: the other rounds too
                print(f"  (within {BORDER}x of {TEN_TIMES:.0f}x: {row.rounds} rounds)")
                measured = alternate(row, args, servers, measured)
            table += [
                {"request": row.title, "contender": label} | {k: v for k, v in m.items() if k[0] != "_"}
                for label, m in measured.items()
            ]
            for label, m in measured.items():
                print(f"  {label:20} {m['requests_per_s']:9.0f}  {details(m)}")
            rate = {label: float(m["requests_per_s"]) for label, m in measured.items()}
            ceiling_rps = rate.get("nginx return 200", ceiling_rps)
            oxi = next((r for label, r in rate.items() if label.startswith("oxigraph")), None)
            if oxi:
                ratio = rate["nginx cache"] / oxi
                print(f"  cache/oxigraph {ratio:.1f}x" + ("  (>= 10x)" if ratio >= TEN_TIMES else ""))
            if ceiling_rps and "nginx cache" in rate and row.title.startswith("repeated"):
                print(f"  cache/ceiling {rate['nginx cache'] / ceiling_rps:.2f}")
            if row.misses:
                rounds = paired_rounds(*(measured[c.label]["runs_rps"] for c in row.contenders))
                print(f"  front/alone per round: {rounds['ratio']:.3f}x; {rounds['verdict']}")
                latency = latency_pairs(row, args.pairs, args.pair_seconds)
                print(f"  concurrency 1, {latency_line(latency)}")
                pairs.append({"request": row.title, "throughput": rounds, "latency": latency})
    finally:
        for server in reversed(servers.values()):
            server.stop()
        shutil.rmtree(folder, ignore_errors=True)
    if args.json:
        command = " ".join(["python", *sys.argv])
        found = {"command": command, "ceiling_rps": ceiling_rps, "rows": table, "misses": pairs}
        args.json.write_text(json.dumps(found, indent=1) + "\n", encoding="utf-8")


def borderline(measured: dict[str, dict]) -> bool:
    """Whether a row's cache/Oxigraph ratio is within a factor 1.5 of the issue's 10x: one round's noise
    (rounds of one row 1.5-2x apart at a load of 7-12) could decide which side of it the row falls."""
    rate = {label: m["requests_per_s"] for label, m in measured.items()}
    oxi = next((r for label, r in rate.items() if label.startswith("oxigraph")), 0)
    return bool(oxi) and TEN_TIMES / BORDER <= rate["nginx cache"] / oxi < TEN_TIMES * BORDER


def details(m: dict) -> str:
    """What a contender's line prints beside its rate."""
    cpu = ", ".join(f"{k} {v:.2f}" for k, v in m["cpu_ms_per_request"].items() if v)
    out = f"(load {m['load_1min']:.1f}; CPU ms/request: {cpu}; drained in {m['drain_s']:.1f} s)"
    out += f"  ({m['failed']} failed)" if m["failed"] else ""
    out += f"  X-Cache-Status {m['cache_status']}" if "cache_status" in m else ""
    return out + (f"  {m['bytes']} bytes {m['content_encoding']}" if "bytes" in m else "")


def plan(
    args: argparse.Namespace, front: str, app: str, oxigraph: str, bare: str, project: Path
) -> list[Row]:
    """The rows measured, in order; the ceiling beside the trivial SELECT, whose rate is listed first."""
    params = dataset_params()
    entity, subject = subjects(project, args.entity)
    doc, iri, select = f"/doc/{entity}", BASE + entity, label_select(subject)

    def same(path: str) -> Paths:
        return lambda run: [path]

    def misses(make_path: Callable[[str], str], per_s: int = MISSES_PER_S) -> Paths:
        """Distinct paths, none repeated within a run: each a miss (stored never, as min_uses is 2)."""
        n = max(int(args.miss_seconds * per_s), args.pairs + WARM_PAIRS)
        return lambda run: [make_path(f"{run}-{i}") for i in range(n)]

    def repeated(text: str, accept: str) -> list[Contender]:
        """The same query through the cache, to gunicorn alone and to Oxigraph."""
        return [
            Contender("nginx cache", front, same(query_path("/sparql", text)), accept),
            Contender("gunicorn alone", app, same(query_path("/sparql", text)), accept),
            Contender("oxigraph", oxigraph, same(query_path("/query", text, params)), accept),
        ]

    def missed(paths: Paths, accept: str) -> list[Contender]:
        return [
            Contender("nginx cache", front, paths, accept),
            Contender("gunicorn alone", app, paths, accept),
        ]

    def document(accept: str, **headers: str) -> list[Contender]:
        describe = same(query_path("/query", f"DESCRIBE <{iri}>", params))
        return [
            Contender("nginx cache", front, same(doc), accept, headers),
            Contender("gunicorn alone", app, same(doc), accept, headers),
            Contender("oxigraph DESCRIBE", oxigraph, describe, TURTLE, headers),
        ]

    examples = {rq.stem: rq.read_text(encoding="utf-8") for rq in sorted((ROOT / "queries").glob("*.rq"))}
    unique = [
        Row(f"distinct /sparql example {k} (all misses)", missed(misses(
            lambda n, q=examples[k]: query_path("/sparql", f"{q}\n# {n}"), EXAMPLE_MISSES_PER_S
        ), accept_for(examples[k])), args.miss_rounds, misses=True)
        for k in MISS_EXAMPLES if k in examples
    ]  # fmt: skip
    return [
        Row("repeated /sparql trivial SELECT (one entity's labels)", [
            Contender("nginx return 200", bare, same("/"), "*/*"),
            *repeated(select, RESULTS),
        ], args.rounds),
        Row(f"repeated {doc} (Turtle) (oxigraph: DESCRIBE)", document(TURTLE), args.hit_rounds),
        Row(f"repeated {doc} (Turtle, Accept-Encoding: gzip) (oxigraph: DESCRIBE)",
            document(TURTLE, **{"Accept-Encoding": "gzip"}), args.hit_rounds),
        Row(f"repeated {doc} (HTML page) (oxigraph: DESCRIBE)", document(HTML), args.hit_rounds),
        *(Row(f"repeated /sparql example {k}", repeated(q, accept_for(q)), args.hit_rounds)
          for k, q in examples.items()),
        Row(f"distinct {doc}?n=... (all misses)", missed(misses(lambda k: f"{doc}?n={k}"), TURTLE),
            args.miss_rounds, misses=True),
        Row("distinct /sparql trivial SELECT (all misses)",
            missed(misses(lambda k: query_path("/sparql", f"{select}\n# {k}")), RESULTS),
            args.miss_rounds, misses=True),
        *unique,
    ]  # fmt: skip


def warm(rows: list[Row]) -> None:
    """Store each cache entry (on its second request) before the repeated runs, so that those measure
    hits, under wrk's key: its Accept and headers, and no Accept-Encoding unless they have one (requests
    would ask for gzip, another entry). Then note, per /doc contender, the bytes and encoding it sends."""
    for row in rows:
        if not row.title.startswith("repeated"):
            continue
        for c in row.contenders:
            url = c.base + c.paths("warm")[0]
            headers: dict[str, str | None] = {"Accept": c.accept, "Accept-Encoding": None, **c.headers}
            for _ in range(2 if c.label == "nginx cache" else 0):
                requests.get(url, headers=headers, timeout=ANSWER_TIMEOUT_S).raise_for_status()


def sent(c: Contender) -> tuple[int, str]:
    """The bytes of one answer as sent (compressed if it is) and its Content-Encoding."""
    headers: dict[str, str | None] = {"Accept": c.accept, "Accept-Encoding": None, **c.headers}
    with requests.get(
        c.base + c.paths("size")[0], headers=headers, stream=True, timeout=ANSWER_TIMEOUT_S
    ) as r:
        r.raise_for_status()
        return len(r.raw.read(decode_content=False)), r.headers.get("Content-Encoding", "identity")


def alternate(
    row: Row, args: argparse.Namespace, servers: dict[str, Server], tally: dict[str, dict] | None = None
) -> dict[str, dict]:
    """Per contender: each round's requests/s (contenders alternating) and their median, the requests
    answered and failed in all of them, the mean 1-min load average after its runs, the median CPU ms
    per request answered of each server (over the run and its drain), the longest drain, and on miss
    rows the answers per X-Cache-Status. With ``tally`` (an earlier call's answer for the row), its
    rounds are kept and the rounds up to ``row.rounds`` added."""
    out = tally or {}
    for c in row.contenders:
        if c.label in out:
            continue
        out[c.label] = {"failed": 0, "requests": 0, "runs_rps": [], "drain_s": 0.0}
        out[c.label] |= {"_loads": [], "_cpu": {name: [] for name in servers}}  # raw, left out of the JSON
        if row.misses:
            out[c.label]["cache_status"] = {}
        if row.title.startswith("repeated /doc"):
            out[c.label]["bytes"], out[c.label]["content_encoding"] = sent(c)
    pids = [s.proc.pid for s in servers.values() if s.proc]
    for k in range(len(out[row.contenders[0].label]["runs_rps"]), row.rounds):
        # Which contender goes first alternates by round: neither is always measured after the other.
        for c in row.contenders if k % 2 == 0 else row.contenders[::-1]:
            m = out[c.label]
            before = {name: cpu_seconds(s.proc.pid) for name, s in servers.items() if s.proc}
            seconds = args.miss_seconds if row.misses else args.seconds
            result = load(c.base, c.paths(f"{c.label}-{k}".replace(" ", "_")), c.accept, seconds,
                          args.connections, timeout_s=ANSWER_TIMEOUT_S, headers=c.headers,
                          count_header="X-Cache-Status" if row.misses else None)  # fmt: skip
            m["_loads"].append(os.getloadavg()[0])
            # What the run left in flight ends before the next contender starts, and counts as this one's CPU.
            m["drain_s"] = max(m["drain_s"], wait_idle(pids))
            answered = max(1, result["requests"])
            for name, s in servers.items():
                if s.proc:
                    m["_cpu"][name].append((cpu_seconds(s.proc.pid) - before[name]) * 1000 / answered)
            m["runs_rps"].append(result["rps"] or 0.0)
            m["requests"] += result["requests"]
            m["failed"] += result["non_2xx"] + socket_errors(result.get("socket_errors", ""))
            for value, n in result.get("counted", {}).items():
                m["cache_status"][value] = m["cache_status"].get(value, 0) + n
    for m in out.values():
        m["rounds"] = len(m["runs_rps"])
        m["requests_per_s"] = statistics.median(m["runs_rps"])
        m["load_1min"] = statistics.mean(m["_loads"])
        m["cpu_ms_per_request"] = {name: round(statistics.median(v), 4) for name, v in m["_cpu"].items() if v}
    return out


def latency_line(m: dict) -> str:
    """What a miss row's latency pairs print."""
    if not m["pairs"]:
        return f"{m['verdict']} ({m['failed']} failed, X-Cache-Status {m['cache_status']})"
    return (
        f"{m['pairs']} pairs: p50 {m['front_p50_ms']:.3f} / {m['alone_p50_ms']:.3f} ms, "
        f"{m['added_ms']:+.3f} ms; {m['verdict']} (X-Cache-Status {m['cache_status']}, "
        f"connections {m['connections_opened']}, {m['failed']} failed, load {m['load_1min']:.1f})"
    )


def timed_get(
    conn: http.client.HTTPConnection, path: str, accept: str
) -> tuple[float, int, str | None, bool]:
    """One GET on a kept connection, its answer read to the end: the milliseconds, the status, the
    X-Cache-Status and whether a connection was opened for it (a server may close an idle one: then
    once more on a new one, timed from there)."""
    for attempt in range(2):
        opened = conn.sock is None
        started = time.perf_counter()
        try:
            conn.request("GET", path, headers={"Accept": accept})
            response = conn.getresponse()
            response.read()
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            conn.close()
            if attempt:
                raise
            continue
        ms = (time.perf_counter() - started) * 1000
        return ms, response.status, response.getheader("X-Cache-Status"), opened
    raise AssertionError("unreachable")


def latency_pairs(row: Row, pairs: int, limit_s: float) -> dict[str, object]:
    """A miss row at concurrency 1: up to ``pairs`` pairs (and no more once ``limit_s`` has passed and
    ``MIN_PAIRS`` are counted), each one request through the front and one to gunicorn alone, every
    path new, which goes first alternating, each contender on one kept-alive connection (the front's
    own to gunicorn is its upstream pool). The first ``WARM_PAIRS`` are not counted. Pairs with an
    answer other than 200 are left out, counted."""
    front, alone = row.contenders
    conns = {c.label: http.client.HTTPConnection(
        urllib.parse.urlsplit(c.base).hostname or "", urllib.parse.urlsplit(c.base).port,
        timeout=ANSWER_TIMEOUT_S) for c in row.contenders}  # fmt: skip
    paths = {c.label: c.paths(f"pair_{c.label}".replace(" ", "_")) for c in row.contenders}
    ms: dict[str, list[float]] = {c.label: [] for c in row.contenders}
    opened = dict.fromkeys(ms, 0)
    status: dict[str, int] = {}
    failed = 0
    deadline = time.monotonic() + limit_s
    try:
        for i in range(min(pairs + WARM_PAIRS, len(paths[front.label]))):
            if time.monotonic() > deadline and len(ms[front.label]) >= MIN_PAIRS:
                break
            pair = {}
            for c in (front, alone) if i % 2 == 0 else (alone, front):
                took, code, cache, new = timed_get(conns[c.label], paths[c.label][i], c.accept)
                opened[c.label] += new
                pair[c.label] = (took, code)
                if c is front:
                    status[str(cache)] = status.get(str(cache), 0) + 1
            if any(code != 200 for _, code in pair.values()):
                failed += 1
            elif i >= WARM_PAIRS:
                for label, (took, _) in pair.items():
                    ms[label].append(took)
    finally:
        for conn in conns.values():
            conn.close()
    found = (
        paired(ms[front.label], ms[alone.label])
        if ms[front.label]
        else {"pairs": 0, "verdict": "not measured: no pair answered 200 twice"}
    )
    return found | {"failed": failed, "cache_status": status, "connections_opened": opened,
                    "load_1min": os.getloadavg()[0]}  # fmt: skip


def socket_errors(summary: str) -> int:
    """The sum of wrk's ``connect 0, read 0, write 0, timeout 3``."""
    return sum(int(x) for x in re.findall(r"\d+", summary))


if __name__ == "__main__":
    main()
