"""Run user SPARQL queries with a time limit that really stops the work.

pyoxigraph cannot cancel a running query from Python, so the embedded store's user queries run in a
small pool of worker processes, each opening the built store read-only. A query past its time limit
gets its worker killed (SIGKILL) and replaced; the request gets a 503 naming ``query_timeout_s``.
A worker that crashes (a parser stack overflow, say) is replaced the same way. The worker serialises
the result, capped at ``max_results``, so only bytes cross the pipe.

``InlineExecutor`` runs the same job in the calling thread, for stores whose own client stops the work
(a remote SPARQL endpoint answers through an HTTP client with a timeout).

``WatchdogExecutor`` also runs the job in the calling thread, for servers that give each request a
process of its own (gunicorn's sync workers): there the serving process *is* the worker, so the pipe
to a pool is saved, and past the limit a watchdog thread answers the client and ends the process,
which the server replaces.

Besides queries, the same killable process runs the other work a request may make CPU-bound: the
guard's reading of the query text, and contribution validation (``*_task`` below; each takes the
``Context`` of the process it runs in). Pool workers drop their network first (``isolation``).
"""

from __future__ import annotations

import copyreg
import logging
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any, Protocol

from nexus_ld.config import load_settings
from nexus_ld.errors import NexusError, QueryTimeout, StoreUnavailable
from nexus_ld.formats import RDF_FORMATS, Format
from nexus_ld.store.jobs import Job, Outcome, QueryFn, read_only_query_fn, run_job
from nexus_ld.web.sparql import isolation
from nexus_ld.web.sparql.guard import Limits, QueryInfo, inspect

STARTUP_TIMEOUT_S = 60.0  # opening the store in a fresh worker; not counted in the query's time
log = logging.getLogger(__name__)


def timed_out(timeout: float) -> QueryTimeout:
    """The 503 of a query stopped at its time limit, whichever executor stopped it."""
    return QueryTimeout(
        f"the query ran longer than {timeout:g} s and was stopped (setting query_timeout_s); "
        "add a LIMIT, narrow the patterns or bind more variables"
    )


def validation_timed_out(timeout: float) -> QueryTimeout:
    """The 503 of a contribution validation stopped at its time limit."""
    return QueryTimeout(
        f"validating the contribution took longer than {timeout:g} s and was stopped "
        "(setting validation_timeout_s); send it in smaller parts"
    )


@dataclass
class Context:
    """What a task needs in the process that runs it: the query function and the contribution
    validator, made on first use (shapes and ontology cost ~0.4 s a query-only process need not pay)."""

    query: QueryFn
    make_validator: Callable[[], Any]
    _validator: Any = None

    def validator(self) -> Any:
        if self._validator is None:
            self._validator = self.make_validator()
        return self._validator


Task = Callable[..., Any]  # a module-level function (sent by name to a worker): task(context, *args)
Hook = Callable[[], None]


def query_task(context: Context, job: Job) -> Outcome:
    return run_job(context.query, job)


def guard_task(context: Context, text: str, limits: Limits, prefixes: dict[str, str]) -> QueryInfo:  # noqa: ARG001
    """``guard.inspect``: it reads the whole text, so it runs under the time limit too."""
    return inspect(text, limits=limits, prefixes=prefixes)


def validate_task(context: Context, data: bytes, fmt: Format, source: str) -> Any:
    """Parse and validate a contribution: a ``contributions.service.Outcome``."""
    validator = context.validator()
    return validator.check(validator.parse(data, fmt, source))


def _rdf_format(name: str) -> Format:
    return RDF_FORMATS[name]


# pyoxigraph's format enums do not pickle: an RDF format crosses the pipe by name (a contribution's).
copyreg.pickle(Format, lambda fmt: (_rdf_format, (fmt.name,)))


class Executor(Protocol):
    def call(self, task: Task, args: tuple[Any, ...], timeout: float, error: NexusError) -> Any: ...

    def run(self, job: Job, timeout: float) -> Outcome: ...

    def pids(self) -> list[int]: ...

    def isolation(self) -> str: ...


class InlineExecutor:
    """Runs tasks in the calling thread (for stores that stop their own work on a timeout)."""

    def __init__(self, context: Context, isolation_status: str) -> None:
        self._context = context
        self._isolation = isolation_status

    def call(self, task: Task, args: tuple[Any, ...], timeout: float, error: NexusError) -> Any:  # noqa: ARG002 - no process to stop
        return task(self._context, *args)

    def run(self, job: Job, timeout: float) -> Outcome:
        return self.call(query_task, (job,), timeout, timed_out(timeout))

    def pids(self) -> list[int]:
        return []

    def isolation(self) -> str:
        return self._isolation


class WatchdogExecutor:
    """Runs tasks in the calling thread under a watchdog, one task at a time per process.

    pyoxigraph releases the GIL while it evaluates, so the watchdog thread runs beside a busy query;
    pure-Python work (the guard, validation) gives it the GIL at the interpreter's switch interval.
    Past ``timeout`` it calls ``on_timeout`` (which answers the client and ends the process: the only
    way to stop the work); a task that finishes after that never answers, so the client gets one
    response. The watchdog polls every ``tick`` seconds rather than being woken per query: a wake-up
    per request would make the two threads trade the GIL on every query.
    """

    def __init__(self, context: Context | None = None, tick: float = 0.05) -> None:
        self._context = context
        self._tick = tick
        self._lock = threading.Lock()
        self._deadline: float | None = None
        self._on_timeout: Callable[[], None] | None = None
        self._fired = False
        self._pid: int | None = None

    def _ensure_started(self) -> None:
        if self._pid != os.getpid():  # per process: a forked child needs its own thread
            self._pid = os.getpid()
            threading.Thread(target=self._watch, name="nexus-ld-watchdog", daemon=True).start()

    def _watch(self) -> None:
        while True:
            deadline = self._deadline
            now = time.monotonic()
            if deadline is None or now < deadline:
                time.sleep(self._tick if deadline is None else min(self._tick, deadline - now))
                continue
            with self._lock:
                if self._deadline is not deadline:  # that task has just finished
                    continue
                self._fired = True
                on_timeout = self._on_timeout
            if on_timeout is not None:
                on_timeout()
            return

    def call(
        self, task: Task, args: tuple[Any, ...], timeout: float, on_timeout: Hook, ctx: Context | None = None
    ) -> Any:
        """Run ``task`` here on ``ctx`` (the request's release; by default the context given at
        creation); past ``timeout`` seconds the watchdog calls ``on_timeout`` instead."""
        self._ensure_started()
        self._on_timeout = on_timeout
        self._deadline = time.monotonic() + timeout
        try:
            return task(ctx or self._context, *args)
        finally:
            with self._lock:
                fired = self._fired
                self._deadline = None
            if fired:  # the watchdog has answered and is ending the process: stay silent
                threading.Event().wait()

    def run(self, job: Job, timeout: float, on_timeout: Callable[[], None]) -> Outcome:
        """Run the query ``job`` here (see ``call``).

        :raises BadRequest: the query does not parse or fails.
        """
        return self.call(query_task, (job,), timeout, on_timeout)

    def pids(self) -> list[int]:
        return []


def _make_validator(values: dict[str, Any]) -> Any:
    from nexus_ld.contributions.service import Validator  # rdflib, pySHACL: only once a contribution comes

    return Validator.from_settings(load_settings(values, environ={}))


def _worker_main(conn: Connection, store_path: str) -> None:
    """Worker process: drop the network, open the store read-only, then run tasks until the socket
    closes. Isolation comes first: nothing of a request is read before it."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C is for the server, which then kills us
    prefixes, values = conn.recv()
    isolated = isolation.drop_network(load_settings(values, environ={}))
    try:
        query = read_only_query_fn(store_path, prefixes)
    except OSError as exc:
        conn.send(("failed", f"cannot open the store at {store_path}: {exc}"))
        return
    conn.send(("ready", isolated))
    context = Context(query, lambda: _make_validator(values))
    while True:
        try:
            task, args = conn.recv()
        except (EOFError, OSError):
            return  # the server went away
        try:
            conn.send(("ok", task(context, *args)))
        except NexusError as exc:
            conn.send(("raise", exc))
        except OSError as exc:
            conn.send(("raise", StoreUnavailable(f"the store could not be read: {exc}")))


def worker_entry() -> None:
    """``python -c 'from nexus_ld.web.sparql.executor import worker_entry; worker_entry()' FD STORE``."""
    _worker_main(Connection(int(sys.argv[1])), sys.argv[2])


# A fresh interpreter, not multiprocessing's spawn: spawn re-imports the server's __main__ module,
# which breaks for scripts without a main guard; this imports only pyoxigraph and this module.
_WORKER_CODE = "from nexus_ld.web.sparql.executor import worker_entry; worker_entry()"


class _Worker:
    def __init__(self, store_path: str, prefixes: dict[str, str], values: dict[str, Any]) -> None:
        ours, theirs = socket.socketpair()
        with theirs:
            self.proc = subprocess.Popen(
                [sys.executable, "-c", _WORKER_CODE, str(theirs.fileno()), store_path],
                pass_fds=[theirs.fileno()],
                stdin=subprocess.DEVNULL,
            )
        self.conn = Connection(ours.detach())
        self.conn.send((prefixes, values))
        self.isolation: str | None = None  # as the worker reports it once ready

    @property
    def pid(self) -> int:
        return self.proc.pid

    def wait_ready(self) -> None:
        if self.isolation is not None:
            return
        if not self.conn.poll(STARTUP_TIMEOUT_S):
            raise StoreUnavailable(f"a query worker did not start within {STARTUP_TIMEOUT_S:g} s")
        status, value = self.conn.recv()
        if status != "ready":
            raise StoreUnavailable(value)
        if value != isolation.ISOLATED:
            log.warning("query worker %d runs with the network: %s", self.pid, value)
        self.isolation = value

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(5)
        self.conn.close()


def _kill_all(workers: set[_Worker]) -> None:
    for worker in list(workers):
        worker.kill()
    workers.clear()


class WorkerPool:
    """A pool of ``size`` worker processes over a read-only store, started on first use.

    ``settings`` (their values) tell the workers whether to drop the network and how to make the
    contribution validator. State is per process: after a fork (gunicorn ``--preload``) the child
    starts its own workers.
    """

    def __init__(
        self, store_path: str, prefixes: Mapping[str, str], size: int, settings: Mapping[str, Any]
    ) -> None:
        self.store_path = store_path
        self.prefixes = dict(prefixes)
        self.settings = dict(settings)
        self.size = max(1, size)
        self._lock = threading.Lock()
        self._pid: int | None = None
        self._idle: queue.LifoQueue[_Worker] = queue.LifoQueue()
        self._workers: set[_Worker] = set()
        # Kill the workers when the pool is dropped (tests make many apps) or the process exits.
        self._finalizer = weakref.finalize(self, _kill_all, self._workers)

    def _spawn(self) -> _Worker:
        worker = _Worker(self.store_path, self.prefixes, self.settings)
        self._workers.add(worker)
        return worker

    def _ensure_started(self) -> None:
        if self._pid == os.getpid():
            return
        with self._lock:
            if self._pid == os.getpid():
                return
            # A forked child must not share its parent's pipes: forget them, start fresh.
            self._workers.clear()
            self._idle = queue.LifoQueue()
            for _ in range(self.size):
                self._idle.put(self._spawn())
            self._pid = os.getpid()

    def _replace(self, worker: _Worker) -> None:
        worker.kill()
        self._workers.discard(worker)
        self._idle.put(self._spawn())

    def pids(self) -> list[int]:
        """Process ids of the live workers (for tests and monitoring)."""
        return sorted(w.pid for w in list(self._workers) if w.proc.poll() is None)

    def close(self) -> None:
        """Stop every worker."""
        self._finalizer()

    def _take(self, timeout: float) -> _Worker:
        self._ensure_started()
        try:
            return self._idle.get(timeout=timeout)
        except queue.Empty:
            raise QueryTimeout(
                f"all {self.size} query workers stayed busy for {timeout:g} s; retry shortly "
                "(settings query_workers, query_timeout_s)",
                headers={"Retry-After": str(max(1, round(timeout)))},
            ) from None

    def isolation(self) -> str:
        """The network isolation a worker reports (starting the pool if needed)."""
        worker = self._take(STARTUP_TIMEOUT_S)
        try:
            worker.wait_ready()
        finally:
            self._idle.put(worker)
        return worker.isolation or ""

    def call(self, task: Task, args: tuple[Any, ...], timeout: float, error: NexusError) -> Any:
        """Run ``task(context, *args)`` in a worker; past ``timeout`` seconds the worker is killed and
        ``error`` raised.

        :raises QueryTimeout: no worker became free in time (503).
        :raises StoreUnavailable: a worker could not start or died during the task.
        """
        worker = self._take(timeout)
        healthy = False
        try:
            worker.wait_ready()
            worker.conn.send((task, args))
            if not worker.conn.poll(timeout):
                raise error
            status, value = worker.conn.recv()
            healthy = True
        except (EOFError, OSError, BrokenPipeError):
            raise StoreUnavailable(
                "the request stopped its worker process; it was replaced (simplify it and retry)"
            ) from None
        finally:
            if healthy:
                self._idle.put(worker)
            else:
                self._replace(worker)
        if status == "raise":
            raise value
        return value

    def run(self, job: Job, timeout: float) -> Outcome:
        """Run the query ``job`` in a worker (see ``call``).

        :raises QueryTimeout: the query ran past ``timeout`` (503).
        :raises BadRequest: the query does not parse or fails.
        """
        return self.call(query_task, (job,), timeout, timed_out(timeout))
