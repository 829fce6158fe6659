"""Any SPARQL 1.1 server as the store: queries through the SPARQL 1.1 Protocol, loading through the
Graph Store HTTP Protocol.

``RemoteStore`` implements ``store.ReadStore`` (``query``, ``named``, ``describe``, ``exists``,
``prefixes``, ``graphs``, ``release``) and answers with pyoxigraph result objects parsed from the
server's response, so the pages, the endpoint and the contributions code run unchanged on it. Any
SPARQL 1.1 server: N-Triples is asked for graph queries and SPARQL JSON/XML for the others; blank-node
labels of any shape (Virtuoso's ``nodeID://b1``) are renamed, booleans read by value; an answer that
cannot be read is a 502 quoting it. Every query is parsed locally by
pyoxigraph first (same 400 messages as the embedded store; nothing but standard SPARQL 1.1 reaches the
server). Bound values never enter the text as strings: each becomes an N-Triples term (serialised by
pyoxigraph, which has checked it) in a ``VALUES`` block at the start of every WHERE clause
(``binding.bind``).

The app keeps no state of its own here: one HTTP request per query, nothing cached between requests.
"""

from __future__ import annotations

import gzip
import io
import json
import time
from collections.abc import Mapping, Sequence
from http.client import HTTPResponse
from pathlib import Path
from typing import Any
from urllib.error import HTTPError, URLError
from urllib.parse import quote, urlencode, urlsplit, urlunsplit
from urllib.request import Request, urlopen

import pyoxigraph as ox

from nexus_ld import __version__
from nexus_ld.config import Settings
from nexus_ld.errors import BadRequest, QueryTimeout, StoreRefused, StoreUnavailable
from nexus_ld.formats import RDF_FORMATS
from nexus_ld.namespaces import DEFAULT_BASE, GRAPHS, graph_iri
from nexus_ld.store.answers import read_answer
from nexus_ld.store.binding import Bound, bind
from nexus_ld.store.embedded import DEFAULT_GRAPHS, RELEASE_FILE, Graphs, Reads, prefixes_for
from nexus_ld.store.jobs import Job, QueryFn

FORM = "application/x-www-form-urlencoded"
# Chosen per query form, and only formats of that form: a server offered JSON first for a CONSTRUCT
# answers non-standard JSON or refuses (Virtuoso). Every SPARQL 1.1 server writes these.
RESULTS_ACCEPT = "application/sparql-results+json, application/sparql-results+xml;q=0.9"
GRAPH_ACCEPT = "application/n-triples, text/turtle;q=0.9"
USER_AGENT = f"nexus-ld/{__version__}"
# A graph that no store holds: sent as the default graph when a request names only named graphs, so
# the default graph is empty as the Protocol says, whatever the server's own default is.
EMPTY_GRAPH = "urn:x-nexus-ld:empty-graph"
UPLOAD_TIMEOUT_S = 600.0


def update_url_for(store_url: str) -> str:
    """The Graph Store Protocol URL for a query endpoint: Oxigraph's ``/query`` -> ``/store``; any
    other URL is taken to answer both (Fuseki's dataset URL does)."""
    parts = urlsplit(store_url)
    if parts.path.rstrip("/").endswith("/query") and parts.path.rstrip("/").count("/") == 1:
        return urlunsplit(parts._replace(path="/store", query=""))
    return store_url


def _check_url(url: str, setting: str) -> str:
    if urlsplit(url).scheme not in ("http", "https"):
        raise StoreUnavailable(f"setting {setting} must be an http(s) URL, not {url!r}")
    return url


class _Body(io.RawIOBase):
    """The response body, read against the query's deadline (a slow trickle is stopped too)."""

    def __init__(self, response: HTTPResponse, deadline: float, timeout: float) -> None:
        self.response, self.deadline, self.timeout = response, deadline, timeout

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if time.monotonic() > self.deadline:
            self.close()
            raise _timeout(self.timeout)
        try:
            return self.response.readinto(buffer)
        except TimeoutError:
            self.close()
            raise _timeout(self.timeout) from None

    def close(self) -> None:
        # Closing the connection also tells a streaming server to stop producing the result.
        self.response.close()
        super().close()


def _timeout(seconds: float) -> QueryTimeout:
    return QueryTimeout(
        f"the store did not answer within {seconds:g} s and the query was abandoned "
        "(setting query_timeout_s); add a LIMIT, narrow the patterns or bind more variables"
    )


def send(request: Request, content_type: str, timeout: float, accept: str = "*/*") -> HTTPResponse:
    """Send ``request`` to the store; HTTP and network failures become typed errors.

    Raises:
        StoreRefused: the store answers 4xx (its message is passed on).
        QueryTimeout: no answer within ``timeout`` seconds.
        StoreUnavailable: the store cannot be reached or answers 5xx.
    """
    request.add_header("Content-Type", content_type)
    request.add_header("Accept", accept)
    request.add_header("User-Agent", USER_AGENT)
    try:
        return urlopen(request, timeout=timeout)  # noqa: S310 - the URL is an http(s) setting
    except HTTPError as exc:
        detail = exc.read(2000).decode("utf-8", "replace").strip()
        if 400 <= exc.code < 500:
            raise StoreRefused(f"the store refused the request ({exc.code}): {detail}") from None
        raise StoreUnavailable(f"the store answered {exc.code}: {detail}") from None
    except TimeoutError:
        raise _timeout(timeout) from None
    except (URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        if isinstance(reason, TimeoutError):
            raise _timeout(timeout) from None
        raise StoreUnavailable(f"the store at {request.full_url} cannot be reached: {reason}") from None


class RemoteStore(Reads):
    """A SPARQL 1.1 endpoint used as the store: the same ``store.ReadStore`` surface as ``Store``."""

    def __init__(
        self,
        url: str,
        base: str = DEFAULT_BASE,
        release: Mapping[str, Any] | None = None,
        timeout: float = 10.0,
    ) -> None:
        self.url = _check_url(url, "store_url")
        self.base = base
        self.prefixes = prefixes_for(base)
        self.graphs = {name: ox.NamedNode(graph_iri(name, base)) for name in GRAPHS}
        self.default_graph = [self.graphs[name] for name in DEFAULT_GRAPHS]
        self.release: Mapping[str, Any] = release or {}
        self.timeout = timeout
        self._parser = ox.Store()  # empty, in memory: only its parser is used (results never read)

    @classmethod
    def open(cls, settings: Settings) -> RemoteStore:
        """The remote store of ``settings.store_url``; base and release from the local build if any."""
        release_path = settings.build / RELEASE_FILE
        release = json.loads(release_path.read_text(encoding="utf-8")) if release_path.exists() else {}
        return cls(settings.store_url, release.get("base", settings.base), release, settings.query_timeout_s)

    # --- queries -------------------------------------------------------------------------------
    def evaluate(self, text: str, substitutions: Bound, default_graph: Graphs, named_graphs: Graphs) -> Any:
        """``Reads.query`` over the SPARQL 1.1 Protocol (bound values in VALUES blocks, ``bind``).

        Raises:
            BadRequest: the query does not parse, or the server refuses it.
            QueryTimeout: no complete answer within the timeout (503).
            StoreUnavailable: the server cannot be reached or answers with an error (503).
        """
        if substitutions:
            try:
                text = bind(text, substitutions)
            except ValueError as exc:
                raise BadRequest(str(exc)) from None
        named = None if named_graphs is None else [g.value for g in named_graphs]
        return self.run(text, [g.value for g in default_graph or []], named)

    def query_fn(self) -> QueryFn:
        """The endpoint's QueryFn: the job's dataset as the request gave it (None: the query's own)."""

        def query(job: Job) -> Any:
            return self.run(job.text, job.default_graph, job.named_graphs)

        return query

    def check(self, text: str) -> bool:
        """Parse ``text`` locally (pyoxigraph, with the nexus-ld prefixes); whether it is a graph
        query (CONSTRUCT, DESCRIBE), read from the kind of answer the empty parser store gives.

        Raises:
            BadRequest: with the parser's message and position.
        """
        try:
            return isinstance(self._parser.query(text, prefixes=self.prefixes), ox.QueryTriples)
        except SyntaxError as exc:
            raise BadRequest(f"query does not parse: {exc.msg}") from None

    def run(self, text: str, default_graph: Sequence[str] | None, named_graphs: Sequence[str] | None) -> Any:
        """Send ``text`` with the given dataset and parse the answer lazily.

        ``default_graph`` and ``named_graphs`` both None: no dataset is sent (the query's FROM decides).
        """
        accept = GRAPH_ACCEPT if self.check(text) else RESULTS_ACCEPT
        prologue = "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in self.prefixes.items())
        fields = [("query", prologue + text)]
        if named_graphs is not None and not default_graph:
            default_graph = [EMPTY_GRAPH]
        elif default_graph is not None and named_graphs is None:
            # As the embedded store: GRAPH reaches every graph of the build whatever the default graph
            # (a Protocol request naming only default graphs would otherwise have no named graphs).
            named_graphs = [g.value for g in self.graphs.values()]
        fields += [("default-graph-uri", g) for g in default_graph or ()]
        fields += [("named-graph-uri", g) for g in named_graphs or ()]
        deadline = time.monotonic() + self.timeout
        request = Request(self.url, data=urlencode(fields).encode(), method="POST")
        response = send(request, FORM, self.timeout, accept)
        with io.BufferedReader(_Body(response, deadline, self.timeout)) as body:
            data = body.read()
        return read_answer(data, response.headers.get_content_type())

    def ping(self) -> bool:
        """Whether the server answers and holds the data graph."""
        return bool(self.query("ASK { ?s ?p ?o }", default_graph=[self.graphs["data"]]))


def upload_build(build_dir: Path, update_url: str, timeout: float = UPLOAD_TIMEOUT_S) -> dict[str, int]:
    """Replace every named graph of the build at ``build_dir`` in a Graph Store Protocol endpoint.

    Each graph is first emptied (PUT of an empty graph), then the whole N-Quads dump
    (``dumps/nexus-ld-<release>.nq.gz``) is POSTed in one request, streamed: one document, so a blank
    node shared by two graphs (data and truthy, data and inferred) stays one node, as in the build.
    Returns graph name -> triples.

    Raises:
        StoreUnavailable: no build, or the server cannot be reached or refuses a graph.
    """
    build_dir = Path(build_dir)
    _check_url(update_url, "store_update_url")
    release_path = build_dir / RELEASE_FILE
    if not release_path.exists():
        raise StoreUnavailable(f"no build in {build_dir}: run `nexus-ld build` first")
    release = json.loads(release_path.read_text(encoding="utf-8"))
    separator = "&" if "?" in update_url else "?"
    loaded = {
        e["graph"]: e["triples"] for e in release["dumps"] if e["format"] == "turtle" and e["graph"] != "all"
    }
    for name in loaded:
        iri = graph_iri(name, release["base"])
        request = Request(f"{update_url}{separator}graph={quote(iri, safe='')}", data=b"", method="PUT")
        try:
            send(request, RDF_FORMATS["turtle"].media_type, timeout).close()
        except BadRequest as exc:
            raise StoreUnavailable(f"the store refused graph <{iri}>: {exc.message}") from None
    whole = next(e for e in release["dumps"] if e["format"] == "nquads")
    with gzip.open(build_dir / "dumps" / whole["file"], "rb") as data:
        # A file body without Content-Length goes out chunked: the dump is never held in memory.
        request = Request(update_url, data=data, method="POST")
        try:
            send(request, RDF_FORMATS["nquads"].media_type, timeout).close()
        except BadRequest as exc:
            raise StoreUnavailable(f"the store refused the dataset {whole['file']}: {exc.message}") from None
    return loaded
