"""SPARQL 1.1 Protocol endpoint at /sparql: query only, guarded, with the query UI and the service
description for a GET without a query.

Request flow: rate limit (429) -> read the protocol request (405/413/415/400, updates 403) ->
``guard.inspect`` (size, nesting, updates, SERVICE) -> negotiate the format (406) -> run the
job -> the serialised bytes, with the result cap in headers. The guard and the job share one time limit
and run where it can be enforced (``run_bounded``: here under a watchdog when this process serves one
request at a time, else in the killable worker pool; 503), in a process without network (``isolation``).
"""

from __future__ import annotations

import codecs
import logging
import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache, partial
from typing import Any, cast

import pyoxigraph as ox
from flask import Blueprint, Flask, Response, current_app, request
from werkzeug.exceptions import RequestEntityTooLarge

from nexus_ld.config import Settings
from nexus_ld.errors import BadRequest, NexusError, PayloadTooLarge, UnsupportedMediaType
from nexus_ld.formats import RDF_FORMATS, RESULT_FORMATS
from nexus_ld.namespaces import graph_iri
from nexus_ld.store.embedded import DEFAULT_GRAPHS, STORE_DIR
from nexus_ld.store.jobs import Job
from nexus_ld.web.errors import render_error
from nexus_ld.web.negotiate import choose
from nexus_ld.web.ratelimit import RateLimiter
from nexus_ld.web.sparql import isolation
from nexus_ld.web.sparql.examples import Example, load_examples
from nexus_ld.web.sparql.executor import (
    Context,
    Executor,
    InlineExecutor,
    Task,
    WatchdogExecutor,
    WorkerPool,
    guard_task,
    query_task,
    timed_out,
)
from nexus_ld.web.sparql.guard import Limits, QueryInfo, explain_parse_error, refuse_update
from nexus_ld.web.sparql.service import describe_service
from nexus_ld.web.state import Releases, State, current_state, releases_of

bp = Blueprint("sparql", __name__)
EXTENSION = "nexus_ld.sparql"

FORM = "application/x-www-form-urlencoded"
QUERY = "application/sparql-query"
UPDATE = "application/sparql-update"
# Headers a browser script may read across origins (the result cap must never be silent).
BOOLEAN_FORMATS = (RESULT_FORMATS["json"], RESULT_FORMATS["xml"])  # what an ASK answers in
EXPOSED = "Nexus-Result-Limit, Nexus-Result-Count, Nexus-Result-Truncated, Retry-After"


@dataclass
class Endpoint:
    """Per-app state of the endpoint; nothing in it changes after start-up (the limiter counts) but
    the executors, one per served release (``state.State``), made on its first query."""

    settings: Settings
    limits: Limits
    guard: Callable[[str], QueryInfo]  # sparql_guard.inspect with this endpoint's limits and prefixes
    make_executor: Callable[[State], Executor]
    watchdog: WatchdogExecutor  # under a server with a process per request
    limiter: RateLimiter | None
    examples: tuple[Example, ...]
    default_graphs: tuple[str, ...]  # the published graphs a query without a dataset sees
    releases: Releases

    def executor_for(self, state: State) -> Executor:
        """The executor over ``state``'s release (made on first use, kept with it: ``State.once``)."""
        return state.once("sparql executor", lambda: self.make_executor(state))

    @property
    def executor(self) -> Executor:
        """The executor of the newest release (monitoring, tests)."""
        return self.executor_for(self.releases.state)


@dataclass(frozen=True)
class ProtocolRequest:
    text: str | None
    default_graphs: tuple[str, ...]
    named_graphs: tuple[str, ...]
    formats: tuple[str, ...]  # `format` parameters; clients repeat it (SPARQLWrapper sends name and type)


def init_app(app: Flask) -> None:
    """Register the endpoint: its executors (a worker pool per release of the embedded store),
    limiter, CORS."""
    releases = releases_of(app)
    settings: Settings = releases.settings
    remote = bool(settings.store_url)
    reason = isolation.reason_not_to_isolate(settings)

    def make_executor(state: State) -> Executor:
        if remote:
            # A remote store's HTTP client gives up at query_timeout_s and the server's own timeout
            # stops its work (docs/scaling.md); no process to kill. The job's dataset goes as given.
            return InlineExecutor(here(app, state), f"none: {reason}")
        # The pool is started on first use: under gunicorn's sync workers it never is (the watchdog runs).
        store_path = str(state.folder / STORE_DIR)
        return WorkerPool(store_path, state.store.prefixes, settings.query_workers, settings.values)

    if reason is not None:
        logging.getLogger(__name__).warning("query processes keep the network: %s", reason)
    limit = settings.rate_limit_per_minute
    limits = Limits.from_settings(settings)
    # The verdict depends on the text alone here, and clients repeat queries (the UI's examples,
    # dashboards, scripts in loops): those skip the lexer. Refusals raise, so they are never cached.
    guard = lru_cache(maxsize=1024)(partial(_guard, limits, dict(releases.state.store.prefixes)))
    app.extensions[EXTENSION] = Endpoint(
        settings,
        limits,
        guard,
        make_executor,
        WatchdogExecutor(),  # on the request's release (run_bounded)
        RateLimiter(limit) if limit > 0 else None,
        load_examples(settings.project / "queries"),
        tuple(graph_iri(name, settings.base) for name in DEFAULT_GRAPHS),
        releases,
    )
    app.register_blueprint(bp)
    app.after_request(_cors)


def here(app: Flask, state: State) -> Context:
    """Work done in this process (watchdog, remote store): the release's store, the app's validator;
    made once per release (``State.once``), not per query."""
    validator = lambda: app.extensions["nexus_ld.contributions"].validator  # noqa: E731
    return state.once("sparql context", lambda: Context(state.store.query_fn(), validator))


def _endpoint() -> Endpoint:
    return current_app.extensions[EXTENSION]


def _cors(response: Response) -> Response:
    origin = _endpoint().settings.cors_allow_origin
    if origin and request.path == "/sparql":
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Expose-Headers"] = EXPOSED
        if origin != "*":
            response.vary.add("Origin")
        if request.method == "OPTIONS":
            response.headers["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
            asked = request.headers.get("Access-Control-Request-Headers")
            response.headers["Access-Control-Allow-Headers"] = asked or "Accept, Content-Type"
            response.headers["Access-Control-Max-Age"] = "86400"
    return response


@bp.before_request
def _rate_limit() -> None:
    limiter = _endpoint().limiter
    if limiter is not None and request.method != "OPTIONS":
        limiter.enforce(request.remote_addr or "unknown", "requests", "rate_limit_per_minute")


def _one(values: list[str], name: str) -> str | None:
    if len(values) > 1:
        raise BadRequest(f"give one '{name}' parameter, not {len(values)}")
    return values[0] if values else None


def _read_body(limit: int) -> bytes:
    """The request body, refused (413) past ``limit`` bytes whatever its transfer encoding.

    Read once and cached, so that form parsing reuses it; a chunked body is read to at most
    ``limit + 1`` bytes, never cut silently.
    """
    too_large = PayloadTooLarge(
        f"the request body is larger than {limit} bytes; the query may be at most "
        f"{_endpoint().limits.max_query_bytes} bytes (setting max_query_bytes)"
    )
    if request.content_length is not None and request.content_length > limit:
        raise too_large
    request.max_content_length = limit + 1
    try:
        body = request.get_data(cache=True)
    except RequestEntityTooLarge:
        raise too_large from None
    if len(body) > limit:
        raise too_large
    return body


def read_request() -> ProtocolRequest:
    """The query and dataset of a GET, form POST or direct POST (SPARQL 1.1 Protocol §2.1).

    :raises Forbidden: an update (``update=`` or ``application/sparql-update``).
    :raises UnsupportedMediaType: a POST body of another type.
    :raises PayloadTooLarge: a body past what ``max_query_bytes`` allows.
    """
    max_bytes = _endpoint().limits.max_query_bytes
    params = request.args
    if request.method == "POST":
        if request.mimetype == UPDATE:
            raise refuse_update(UPDATE)
        if request.mimetype == FORM:
            _read_body(3 * max_bytes + 4096)  # percent-encoding triples the size at worst
            params = request.values
        elif request.mimetype == QUERY:
            body = _query_text(_read_body(max_bytes))
            if not body.strip():
                raise BadRequest(
                    "the POST body is empty: send the SPARQL query text as application/sparql-query"
                )
            return _protocol_request(request.args, body)
        else:
            raise UnsupportedMediaType(
                f"POST a query as {FORM} (query=...) or as {QUERY}, "
                f"not {request.mimetype or 'an untyped body'!r}"
            )
    if "update" in params:
        raise refuse_update("the update parameter")
    text = _one(params.getlist("query"), "query")
    if request.method == "POST" and not text:
        raise BadRequest("no query: pass the SPARQL text in the form field 'query'")
    return _protocol_request(params, text)


def _query_text(body: bytes) -> str:
    """The text of a query body. application/sparql-query is always UTF-8 (its registration, SPARQL 1.1
    Query appendix C): another charset is refused (415), bytes that are not UTF-8 too (400)."""
    charset = request.mimetype_params.get("charset", "utf-8")
    try:
        known = codecs.lookup(charset).name in ("utf-8", "ascii")
    except LookupError:
        known = False
    if not known:
        raise UnsupportedMediaType(
            f"send the query as UTF-8 ({QUERY}; charset=utf-8), not charset={charset!r}"
        )
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadRequest(f"the query body is not UTF-8: byte {exc.start} is {body[exc.start]:#04x}") from None


def _protocol_request(params, text: str | None) -> ProtocolRequest:  # noqa: ANN001 - a MultiDict
    return ProtocolRequest(
        text,
        tuple(params.getlist("default-graph-uri")),
        tuple(params.getlist("named-graph-uri")),
        tuple(params.getlist("format")),
    )


def _formats(info: QueryInfo, wanted: tuple[str, ...]) -> tuple[str, str]:
    """(results format, graph format) names; the one the query form needs is negotiated (an Accept of
    the other kind only gets that kind's default)."""
    if info.form is None:  # the parser will answer; any format will do
        return "json", "turtle"
    graphs, results = tuple(RDF_FORMATS.values()), tuple(RESULT_FORMATS.values())
    if info.returns_graph:
        return "json", choose(graphs, RDF_FORMATS["turtle"], asked=wanted, siblings=results).name
    # The CSV and TSV results formats are defined for SELECT only: they hold no boolean.
    offers = BOOLEAN_FORMATS if info.form == "ASK" else results
    return choose(offers, RESULT_FORMATS["json"], asked=wanted, siblings=graphs + results).name, "turtle"


def _iris(values: tuple[str, ...], name: str) -> tuple[str, ...]:
    for iri in values:
        try:
            ox.NamedNode(iri)
        except ValueError:
            raise BadRequest(f"{name} must be an absolute IRI, not {iri!r}") from None
    return values


def make_job(req: ProtocolRequest, info: QueryInfo, endpoint: Endpoint) -> Job:
    """The job for a checked query. The default graph is the merge of the published graphs except
    truthy (``store.DEFAULT_GRAPHS``), unless the query has FROM / FROM NAMED or the request names
    graphs (then those, per the Protocol)."""
    results, graph = _formats(info, req.formats)
    dataset_given = bool(req.default_graphs or req.named_graphs)
    if dataset_given:
        default = _iris(req.default_graphs, "default-graph-uri")
        named = _iris(req.named_graphs, "named-graph-uri")
    elif info.has_dataset:
        default, named = None, None
    else:
        default, named = endpoint.default_graphs, None
    return Job(
        text=req.text or "",
        results_format=results,
        graph_format=graph,
        max_results=endpoint.settings.max_results,
        default_graph=default,
        named_graphs=named,
    )


@bp.route("/sparql", methods=["GET", "POST"])
def sparql() -> Response:
    """The SPARQL 1.1 Protocol query operation (GET and POST), or the description / UI without a query."""
    endpoint = _endpoint()
    req = read_request()
    if req.text is None:
        return describe_service(endpoint.examples, endpoint.settings, req.formats)
    if not req.text.strip():
        raise BadRequest("the query parameter is empty: pass the SPARQL text as query=...")
    timeout = endpoint.settings.query_timeout_s
    started = time.monotonic()
    info = endpoint.guard(req.text)
    job = make_job(req, info, endpoint)
    left = timeout - (time.monotonic() - started)  # the guard's time counts: one limit per request
    if left <= 0:
        raise timed_out(timeout)
    try:
        outcome = run_bounded(query_task, (job,), left, timed_out(timeout))
    except BadRequest as exc:
        raise explain_parse_error(exc, req.text, current_state().store.prefixes) from None
    fmt = (RDF_FORMATS if outcome.graph else RESULT_FORMATS)[outcome.format]
    headers = {
        "Vary": "Accept",
        "Nexus-Result-Limit": str(job.max_results),
        "Nexus-Result-Count": str(outcome.count),
        "Nexus-Result-Truncated": "true" if outcome.truncated else "false",
    }
    return Response(outcome.body, mimetype=fmt.media_type, headers=headers)


def _guard(limits: Limits, prefixes: dict[str, str], text: str) -> QueryInfo:
    timeout = _endpoint().settings.query_timeout_s
    return run_bounded(guard_task, (text, limits, prefixes), timeout, timed_out(timeout))


def run_bounded(task: Task, args: tuple[Any, ...], timeout: float, error: NexusError) -> Any:
    """``task(context, *args)`` where ``timeout`` can stop it: under the watchdog when this process
    serves this request alone, else in the endpoint's executor (the worker pool). Past ``timeout`` the
    client gets ``error`` (a 503 naming the setting)."""
    endpoint, state = _endpoint(), current_state()  # the request's release, from start to end
    if one_request_per_process(request.environ):
        app = cast(Flask, cast(Any, current_app)._get_current_object())
        answer = partial(_answer_and_exit, app, request.environ, error)
        return endpoint.watchdog.call(task, args, timeout, answer, here(app, state))
    return endpoint.executor_for(state).call(task, args, timeout, error)


def isolation_status() -> str:
    """The network isolation of the processes that run this request's queries (for ``/readyz``)."""
    if one_request_per_process(request.environ):
        return isolation.status()
    return _endpoint().executor_for(current_state()).isolation()


def one_request_per_process(environ: dict[str, Any]) -> bool:
    """True under gunicorn's sync workers: this process serves this request alone, so ending it at
    the time limit loses no other request (threaded servers keep the worker pool)."""
    return "gunicorn.socket" in environ and not environ.get("wsgi.multithread", True)


def _answer_and_exit(app: Flask, environ: dict[str, Any], exc: NexusError) -> None:
    """The watchdog's answer to work past its limit: the 503 ``exc`` written straight to the client,
    then the end of this process, the only way to stop the work; gunicorn starts a new worker."""
    try:
        with app.request_context(environ):
            response = app.process_response(render_error(exc.status, exc.title, exc.message, exc.headers))
            body = response.get_data()
            response.headers["Content-Length"] = str(len(body))
            response.headers["Connection"] = "close"
            head = "".join(f"{k}: {v}\r\n" for k, v in response.headers.items())
            app.logger.warning(
                "%s on %s: answered 503, ending worker %d", exc.message, request.path, os.getpid()
            )
        client: socket.socket = environ["gunicorn.socket"]
        client.sendall(f"HTTP/1.1 {response.status}\r\n{head}\r\n".encode("latin-1") + body)
        client.shutdown(socket.SHUT_RDWR)
    finally:
        os._exit(0)  # not 3 or 4: gunicorn's arbiter stops everything on those codes
