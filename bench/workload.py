"""What the benchmark asks: the query shapes users run, with parameters drawn from the generated
data, timed over HTTP, in-process, and under concurrent load.

The shapes are ``bench/queries/*.rq`` plus the example queries of ``queries/*.rq``. A shape's
parameters (a group, a country, a word) are generated IRIs and words written into placeholders
(``<urn:nexus-ld-bench:group>``): this is a client sending query text to several servers, which
cannot all take bound values (SEP-0007) the way ``nexus_ld.store.embedded`` does.
"""

from __future__ import annotations

import json
import re
import shutil
import statistics
import subprocess
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox
import requests

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
BASE = "https://w3id.org/nexus-ld/id/"
PLACEHOLDER = re.compile(r"<urn:nexus-ld-bench:(\w+)>|urn:nexus-ld-bench:(\w+)")
SELECT_JSON = "application/sparql-results+json"
NTRIPLES = "application/n-triples"


@dataclass
class Shape:
    name: str
    text: str  # with placeholders
    kind: str  # "sparql" or "search"
    params: list[dict[str, str]] = field(default_factory=lambda: [{}])

    def queries(self) -> list[str]:
        """The query texts (or search words) to cycle through, one per parameter set."""
        return [fill(self.text, p) for p in self.params]


def fill(text: str, values: dict[str, str]) -> str:
    def sub(m: re.Match) -> str:
        if m.group(1):
            return f"<{values[m.group(1)]}>"
        return values[m.group(2)]

    return PLACEHOLDER.sub(sub, text)


def parameters(project: Path, count: int = 20) -> dict[str, list[str]]:
    """Deterministic parameter lists from the generated project: groups, countries, search words."""
    groups = re.findall(
        r"^group:(\S+) a ", (project / "data" / "groups.ttl").read_text(encoding="utf-8"), re.M
    )
    countries = re.findall(
        r"^place:(sc-\S+) a ", (project / "data" / "places.ttl").read_text(encoding="utf-8"), re.M
    )
    labels = re.findall(
        r'rdfs:label "([^"]+)"@en', (project / "data" / "groups.ttl").read_text(encoding="utf-8")
    )
    step = max(1, len(groups) // count)
    words = [re.split(r"[- ]", label)[-1].lower()[:5] for label in labels[::step]]
    return {
        "group": [BASE + "group/" + g for g in groups[::step][:count]],
        "country": [BASE + "place/" + c for c in countries[:count]],
        "word": words[:count],
    }


def shapes(project: Path, with_search: bool, with_examples: bool = True) -> list[Shape]:
    """The query shapes, each with its parameter sets."""
    params = parameters(project)
    found = []
    for path in sorted((BENCH / "queries").glob("*.rq")):
        text = path.read_text(encoding="utf-8")
        names = {m.group(1) or m.group(2) for m in PLACEHOLDER.finditer(text)}
        if names:
            n = min(len(params[k]) for k in names)
            sets = [{k: params[k][i] for k in names} for i in range(n)]
        else:
            sets = [{}]
        found.append(Shape(path.stem, text, "sparql", sets))
    if with_search:
        found.append(search_shape(params))
    if with_examples:
        for path in sorted((ROOT / "queries").glob("*.rq")):
            found.append(Shape("example:" + path.stem, path.read_text(encoding="utf-8"), "sparql"))
    return found


def search_shape(params: dict[str, list[str]]) -> Shape:
    """``/search`` for the start of a word of a group's name (the words are cut to five letters, for
    the substring shape, so here they are prefixes: ``word*``)."""
    return Shape(
        "search-endpoint", "urn:nexus-ld-bench:word", "search", [{"word": w + "*"} for w in params["word"]]
    )


def accept_for(text: str) -> str:
    """N-Triples for graph queries, SPARQL JSON for SELECT/ASK (every server under test has both)."""
    body = re.sub(r"#[^\n]*", "", text)
    return NTRIPLES if re.search(r"\b(CONSTRUCT|DESCRIBE)\b", body, re.I) else SELECT_JSON


def count_results(body: bytes, accept: str) -> int:
    """Rows or triples in a response, to check that all servers return the same answer."""
    if accept == NTRIPLES:
        return sum(1 for line in body.splitlines() if line.strip() and not line.startswith(b"#"))
    data = json.loads(body)
    if "boolean" in data:
        return int(data["boolean"])
    if "results" in data:
        return len(data["results"]["bindings"])
    return len(data) if isinstance(data, list) else len(data.get("results", data))


@dataclass
class Timing:
    shape: str
    samples_ms: list[float]
    results: int | None
    errors: int = 0
    error: str = ""
    reference_ms: list[float] = field(default_factory=list)  # `oxigraph serve`, interleaved with these

    @property
    def reference_p50(self) -> float | None:
        return statistics.median(self.reference_ms) if self.reference_ms else None

    @property
    def p50(self) -> float | None:
        return statistics.median(self.samples_ms) if self.samples_ms else None

    @property
    def p95(self) -> float | None:
        if not self.samples_ms:
            return None
        ordered = sorted(self.samples_ms)
        return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]

    def to_json(self) -> dict:
        return {
            "shape": self.shape,
            "p50_ms": self.p50,
            "p95_ms": self.p95,
            "n": len(self.samples_ms),
            "results": self.results,
            "errors": self.errors,
            "error": self.error,
            "reference_p50_ms": self.reference_p50,
        }


Call = Callable[[str, str], tuple[int, bytes]]


def _measure(shape: Shape, call: Call, reps: int, budget_s: float, reference: Call | None = None) -> Timing:
    """Run ``call(query, accept)`` over the shape's parameter sets: one warm-up call, then up to ``reps``
    timed calls while within ``budget_s`` (always at least one, so a slow server still gets a number).

    With a ``reference`` (``oxigraph serve``), each timed call is paired with the same query sent to
    it, in alternating order: on a shared machine the load drifts, and a ratio of two servers timed
    minutes apart measures the drift as much as the servers."""
    queries = shape.queries()
    accept = SELECT_JSON if shape.kind == "search" else accept_for(queries[0])
    samples: list[float] = []
    results = None
    try:
        t0 = time.perf_counter()
        status, body = call(queries[0], accept)
        if status != 200:
            return Timing(shape.name, [], None, 1, f"HTTP {status}: {body[:200]!r}")
        if time.perf_counter() - t0 > budget_s:
            # Too slow to repeat within the budget: that one call is the sample.
            samples.append((time.perf_counter() - t0) * 1000)
            reps = 0
        started = time.perf_counter()
        reference_ms: list[float] = []
        if reference is not None and reps:
            reference(queries[0], accept)  # its warm-up
        for i in range(reps):
            q = queries[i % len(queries)]
            if reference is not None and i % 2:
                reference_ms.append(_timed(reference, q, accept))
            t0 = time.perf_counter()
            status, body = call(q, accept)
            samples.append((time.perf_counter() - t0) * 1000)
            if reference is not None and not i % 2:
                reference_ms.append(_timed(reference, q, accept))
            if status != 200:
                return Timing(shape.name, samples, None, 1, f"HTTP {status}: {body[:200]!r}")
            if i == 0:
                results = count_results(body, accept) if shape.kind != "search" else count_search(body)
            if time.perf_counter() - started > budget_s:
                break
        if results is None:
            results = count_results(body, accept) if shape.kind != "search" else count_search(body)
    except (requests.RequestException, ValueError) as exc:
        return Timing(shape.name, samples, results, 1, f"{type(exc).__name__}: {exc}"[:300])
    return Timing(shape.name, samples, results, reference_ms=reference_ms)


def _timed(call: Call, query: str, accept: str) -> float:
    t0 = time.perf_counter()
    call(query, accept)
    return (time.perf_counter() - t0) * 1000


def count_search(body: bytes) -> int:
    data = json.loads(body)
    for key in ("results", "hits", "items"):
        if isinstance(data, dict) and isinstance(data.get(key), list):
            return len(data[key])
    return len(data) if isinstance(data, list) else -1


def http_latency(
    endpoint: str,
    base_url: str,
    shape_list: list[Shape],
    reps: int,
    budget_s: float,
    timeout: float = 120.0,
    params: list[tuple[str, str]] | None = None,
    reference: tuple[str, list[tuple[str, str]]] | None = None,
) -> list[Timing]:
    """Latency of each shape over HTTP (GET, keep-alive), one request at a time; with ``reference``
    (an endpoint and its parameters), paired with that server's latency on the same queries."""

    def client(url: str, extra: list[tuple[str, str]] | None) -> Call:
        session = requests.Session()

        def call(query: str, accept: str) -> tuple[int, bytes]:
            r = session.get(
                url, params=[("query", query), *(extra or [])], headers={"Accept": accept}, timeout=timeout
            )
            return r.status_code, r.content

        return call

    call = client(endpoint, params)
    paired = client(*reference) if reference else None
    session = requests.Session()

    def search(word: str, accept: str) -> tuple[int, bytes]:
        r = session.get(
            base_url + "/search", params={"q": word}, headers={"Accept": "application/json"}, timeout=timeout
        )
        return r.status_code, r.content

    timings = [
        _measure(s, search, reps, budget_s)
        if s.kind == "search"
        else _measure(s, call, reps, budget_s, paired)
        for s in shape_list
    ]
    session.close()
    return timings


def embedded_latency(build: Path, shape_list: list[Shape], reps: int, budget_s: float) -> list[Timing]:
    """The floor: the same queries on the built store in this process (pyoxigraph, no HTTP), results
    serialized to the same formats."""
    from nexus_ld.store.embedded import Store

    store = Store.open(build)

    def call(query: str, accept: str) -> tuple[int, bytes]:
        result = store.query(query)
        if isinstance(result, ox.QueryTriples):
            return 200, ox.serialize(result, format=ox.RdfFormat.N_TRIPLES)
        if isinstance(result, ox.QueryBoolean):
            return 200, json.dumps({"boolean": bool(result)}).encode()
        return 200, result.serialize(format=ox.QueryResultsFormat.JSON)

    return [_measure(s, call, reps, budget_s) for s in shape_list if s.kind == "sparql"]


# --- throughput -------------------------------------------------------------------------------
LUA = """
local paths = {%s}
local i = 0
request = function()
  i = i %% #paths + 1
  return wrk.format("GET", paths[i], {%s})
end
"""
# With ``count_header``: each answer's value of that header is counted in its thread, and the counts
# printed at the end (``counted <value> <n>``). Only then: wrk reads headers into Lua for this alone.
COUNT_LUA = """
counts = {}
local threads = {}
function setup(thread) table.insert(threads, thread) end
response = function(status, headers, body)
  local value = headers[%s] or "(none)"
  counts[value] = (counts[value] or 0) + 1
end
function done(summary, latency, requests)
  for _, thread in ipairs(threads) do
    for value, n in pairs(thread:get("counts")) do io.write("counted " .. value .. " " .. n .. "\\n") end
  end
end
"""


def throughput(
    endpoint: str,
    queries: list[str],
    accept: str,
    seconds: float,
    connections: int = 8,
    params: list[tuple[str, str]] | None = None,
) -> dict:
    """Requests per second with ``connections`` concurrent keep-alive connections, cycling through
    ``queries`` sent to ``endpoint`` (see ``load``)."""
    parsed = urllib.parse.urlsplit(endpoint)
    paths = [parsed.path + "?" + urllib.parse.urlencode([("query", q), *(params or [])]) for q in queries]
    return load(f"{parsed.scheme}://{parsed.netloc}", paths, accept, seconds, connections)


def load(
    base: str,
    paths: list[str],
    accept: str,
    seconds: float,
    connections: int = 8,
    timeout_s: float = 2.0,
    headers: dict[str, str] | None = None,
    count_header: str | None = None,
) -> dict:
    """Requests per second of GETs cycling through ``paths`` on the server at ``base``: Debian's
    ``wrk`` when installed (one thread, so the server keeps the other core), else a Python thread
    pool (slower: it competes for the same 2 cores). With wrk, an answer slower than ``timeout_s``
    (wrk's default 2 s) counts as a socket error, not a request. ``headers`` are sent beside
    ``Accept``; with ``count_header``, ``counted`` gives how many answers had each value of it."""
    parsed = urllib.parse.urlsplit(base)
    sent = {"Accept": accept, **(headers or {})}
    wrk = shutil.which("wrk")
    if wrk:
        table = ", ".join(f"[{json.dumps(k)}] = {json.dumps(v)}" for k, v in sent.items())
        script_text = LUA % (", ".join(json.dumps(p) for p in paths), table)
        if count_header:
            script_text += COUNT_LUA % json.dumps(count_header)
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as fh:
            fh.write(script_text)
            script = fh.name
        try:
            out = subprocess.run(
                [
                    wrk,
                    "-t1",
                    f"-c{connections}",
                    f"-d{max(1, round(seconds))}s",
                    f"--timeout={max(1, round(timeout_s))}s",
                    "--latency",
                    "-s",
                    script,
                    f"{parsed.scheme}://{parsed.netloc}",
                ],
                capture_output=True,
                text=True,
                timeout=seconds + 60,
            ).stdout
        finally:
            Path(script).unlink(missing_ok=True)
        rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
        non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
        errors = re.search(r"Socket errors:(.*)", out)
        p50 = re.search(r"^\s+50%\s+([\d.]+)(\w+)", out, re.M)
        requests_made = re.search(r"(\d+) requests in", out)
        return {
            "tool": f"wrk -t1 -c{connections}",
            "rps": float(rps.group(1)) if rps else None,
            "requests": int(requests_made.group(1)) if requests_made else 0,
            "counted": {v: int(n) for v, n in re.findall(r"^counted (\S+) (\d+)$", out, re.M)},
            "non_2xx": int(non2xx.group(1)) if non2xx else 0,
            "socket_errors": errors.group(1).strip() if errors else "",
            "p50": (p50.group(1) + p50.group(2)) if p50 else None,
        }
    return _python_load(parsed, paths, sent, seconds, connections, count_header)


def _python_load(
    parsed: urllib.parse.SplitResult,
    paths: list[str],
    sent: dict[str, str],
    seconds: float,
    n: int,
    count_header: str | None,
) -> dict:
    done, bad = [0], [0]
    counted: dict[str, int] = {}
    stop = time.perf_counter() + seconds
    lock = threading.Lock()

    def worker(offset: int) -> None:
        session = requests.Session()
        i = offset
        while time.perf_counter() < stop:
            r = session.get(f"{parsed.scheme}://{parsed.netloc}{paths[i % len(paths)]}", headers=sent)
            with lock:
                done[0] += 1
                bad[0] += r.status_code != 200
                if count_header:
                    value = r.headers.get(count_header, "(none)")
                    counted[value] = counted.get(value, 0) + 1
            i += 1

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(n)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return {
        "tool": f"python threads x{n}",
        "rps": done[0] / (time.perf_counter() - started),
        "requests": done[0],
        "non_2xx": bad[0],
        "counted": counted,
    }
