"""Running one query on a store: the job (text, dataset, output format), and its serialised outcome.

Both stores answer a ``Job`` through a ``QueryFn``; ``run_job`` serialises what comes back, capped at
``max_results``, with pyoxigraph. The web's executors (``web/sparql/executor.py``) decide in which
process a job runs; this module is what runs there.
"""

from __future__ import annotations

import errno
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from itertools import islice
from typing import Any

import pyoxigraph as ox

from nexus_ld.errors import BadRequest
from nexus_ld.formats import RDF_FORMATS, RESULT_FORMATS, Format, serialize


@dataclass(frozen=True)
class Job:
    """One query to run: its text, the dataset and the negotiated output format (by name)."""

    text: str
    results_format: str  # a RESULT_FORMATS name, for SELECT / ASK
    graph_format: str  # an RDF_FORMATS name, for CONSTRUCT / DESCRIBE
    max_results: int
    default_graph: tuple[str, ...] | None = None  # graph IRIs; None: the query's FROM, or the store's
    named_graphs: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Outcome:
    """A serialised result. ``truncated`` says rows past ``max_results`` were cut."""

    body: bytes
    format: str
    graph: bool
    count: int
    truncated: bool


QueryFn = Callable[[Job], Any]


class _Full(Exception):
    """Raised by _LineSink to stop pyoxigraph's serialiser: enough rows were written."""


class _LineSink:
    """A binary sink for pyoxigraph's streaming serialiser that keeps ``limit`` lines at most.

    In SPARQL TSV every solution is exactly one line (newlines in literals are escaped), so lines
    count rows exactly, and the serialiser writes in small buffers: memory stays bounded.
    """

    def __init__(self, limit: int) -> None:
        self.parts: list[bytes] = []
        self.lines = 0
        self.limit = limit
        self.full = False

    def write(self, data: bytes) -> int:
        if not self.full:  # after _Full, the serialiser's buffer is flushed again on drop: ignore it
            chunk = bytes(data)
            self.parts.append(chunk)
            self.lines += chunk.count(b"\n")
            if self.lines >= self.limit:
                self.full = True
                raise _Full
        return len(data)

    def flush(self) -> None:
        pass


def _capped_solutions(result: ox.QuerySolutions, fmt: Format, max_rows: int) -> tuple[bytes, int, bool]:
    """(body, rows, truncated) for at most ``max_rows`` solutions, serialised by pyoxigraph.

    pyoxigraph serialises only a whole result, so the rows go out as TSV (lossless for RDF terms),
    are cut at the cap, and — for another format — parsed back and written again, all in Rust.
    """
    sink = _LineSink(max_rows + 2)  # the header, the rows kept, and one more to know there were more
    try:
        result.serialize(sink, format=ox.QueryResultsFormat.TSV)  # type: ignore[arg-type]  # a binary sink
    except _Full:
        pass
    body = b"".join(sink.parts)
    truncated = body.count(b"\n") > max_rows + 1
    if truncated:
        end = -1
        for _ in range(max_rows + 1):
            end = body.index(b"\n", end + 1)
        body = body[: end + 1]
    rows = body.count(b"\n") - 1
    if fmt.results != ox.QueryResultsFormat.TSV:
        body = (
            ox.parse_query_results(body, format=ox.QueryResultsFormat.TSV).serialize(format=fmt.results)
            or b""
        )
    return body, rows, truncated


def run_job(query: QueryFn, job: Job) -> Outcome:
    """Evaluate ``job`` with ``query`` and serialise at most ``job.max_results`` rows or triples.

    :raises BadRequest: the query does not parse or fails while evaluating.
    """
    try:
        result = query(job)
        if isinstance(result, ox.QueryBoolean):
            fmt = RESULT_FORMATS[job.results_format]
            return Outcome(result.serialize(format=fmt.results) or b"", fmt.name, False, 1, False)
        if isinstance(result, ox.QuerySolutions):
            fmt = RESULT_FORMATS[job.results_format]
            body, rows, truncated = _capped_solutions(result, fmt, job.max_results)
            return Outcome(body, fmt.name, False, rows, truncated)
        # CONSTRUCT / DESCRIBE: QueryTriples, or any iterable of triples (a remote store's answer)
        fmt = RDF_FORMATS[job.graph_format]
        triples = list(islice(result, job.max_results + 1))
        kept = triples[: job.max_results]
        body = serialize(kept, fmt)
        return Outcome(body, fmt.name, True, len(kept), len(triples) > job.max_results)
    except SyntaxError as exc:
        raise BadRequest(f"query does not parse: {exc.msg}") from None
    except (ValueError, RuntimeError) as exc:
        # pyoxigraph reports evaluation errors (a type error in a function, a bad SERVICE answer) so.
        raise BadRequest(f"the query failed: {exc}") from None
    except OSError as exc:
        if f"(os error {errno.ENETUNREACH})" not in str(exc):  # Rust's io::Error text; errno is unset
            raise
        # SERVICE in a process without network (isolation): the guard should have refused it first
        raise BadRequest(
            "the query failed: it tried to reach the network (SERVICE), which the query processes "
            "of this endpoint do not have"
        ) from None


@lru_cache(maxsize=256)
def _graph(iri: str) -> ox.NamedNode:
    return ox.NamedNode(iri)


def oxigraph_query(store: ox.Store, prefixes: Mapping[str, str]) -> QueryFn:
    """A QueryFn over a pyoxigraph store, with the nexus-ld prefixes predeclared."""
    declared = dict(prefixes)

    def query(job: Job) -> Any:
        return store.query(
            job.text,
            prefixes=declared,
            default_graph=None if job.default_graph is None else [_graph(i) for i in job.default_graph],
            named_graphs=None if job.named_graphs is None else [_graph(i) for i in job.named_graphs],
        )

    return query


def read_only_query_fn(store_path: str, prefixes: Mapping[str, str]) -> QueryFn:
    """A QueryFn over the built store at ``store_path``, opened read-only (a query worker's store).

    :raises OSError: the store cannot be opened.
    """
    return oxigraph_query(ox.Store.read_only(store_path), prefixes)
