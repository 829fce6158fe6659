"""Per-client limits kept in this process's memory: a rate limit (GCRA: one timestamp per client) and
a cap on requests in flight, so that one client cannot hold every query slot (issue 11).

The app keeps no shared state so that it scales out; these limits are therefore per process: with N
server processes a client may get up to N times the limit. The global limits live in the reverse proxy
in front (``nexus-ld nginx-config``: ``limit_req``, ``limit_conn``) — docs/security.md says how.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from functools import partial

from flask import Flask, g, request
from werkzeug.middleware.proxy_fix import ProxyFix

from nexus_ld.errors import TooManyRequests

MAX_TRACKED = 10_000  # clients remembered before idle ones are forgotten


class RateLimiter:
    """Allows ``per_minute`` requests per key, in bursts of up to ``per_minute``, refilling evenly."""

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = per_minute
        self._interval = 60.0 / per_minute
        self._burst = 60.0  # a full minute's worth of requests may come at once
        self._clock = clock
        self._tat: dict[str, float] = {}  # key -> theoretical arrival time of its next request
        self._lock = threading.Lock()

    def hit(self, key: str) -> float:
        """Count one request of ``key``: 0 when allowed, else the seconds until it would be."""
        now = self._clock()
        with self._lock:
            tat = max(self._tat.get(key, now), now) + self._interval
            wait = tat - now - self._burst
            if wait > 0:
                return wait
            self._tat[key] = tat
            if len(self._tat) > MAX_TRACKED:
                self._tat = {k: v for k, v in self._tat.items() if v > now}
            return 0.0

    def wait(self, key: str) -> float:
        """Seconds until ``key`` may make a request (0: now), without counting one."""
        now = self._clock()
        with self._lock:
            return max(0.0, max(self._tat.get(key, now), now) + self._interval - now - self._burst)

    def enforce(self, key: str, what: str, setting: str) -> None:
        """Count one request of ``key``; past the limit raise 429 with Retry-After, naming ``setting``.

        Raises:
            TooManyRequests: when ``key`` is over the limit.
        """
        wait = self.hit(key)
        if wait:
            seconds = max(1, math.ceil(wait))
            raise TooManyRequests(
                f"more than {self.per_minute} {what} per minute from {key} (setting {setting}); "
                f"retry in {seconds} s",
                headers={"Retry-After": str(seconds)},
            )


class InflightCap:
    """Counts the requests each client has running; refuses one past ``limit`` (429).

    A request past the limit waits up to ``grace_s`` for a slot first: a client that asks again as soon
    as it has its answer can reach another thread before the answered request's teardown gave its slot
    back (the answer is sent before teardown runs), and must not be refused for it.
    """

    def __init__(self, limit: int, grace_s: float = 0.5) -> None:
        self.limit = limit
        self.grace_s = grace_s
        self._running: dict[str, int] = {}  # only clients with requests running: bounded by threads
        self._free = threading.Condition()

    def acquire(self, key: str) -> None:
        """Count one more running request of ``key``.

        Raises:
            TooManyRequests: when ``key`` still has ``limit`` requests running after ``grace_s``.
        """
        with self._free:
            if not self._free.wait_for(lambda: self._running.get(key, 0) < self.limit, self.grace_s):
                raise TooManyRequests(
                    f"{key} already has {self._running[key]} request(s) running here, the most one client "
                    "may have (setting max_inflight_per_client); wait for an answer, then retry",
                    headers={"Retry-After": "1"},
                )
            self._running[key] = self._running.get(key, 0) + 1

    def release(self, key: str) -> None:
        with self._free:
            running = self._running.pop(key) - 1
            if running:
                self._running[key] = running
            self._free.notify_all()


def _capped() -> bool:
    """Queries and POSTs hold a worker for long; pages, dumps and /healthz are left uncapped."""
    return request.method == "POST" or (request.path == "/sparql" and request.method != "OPTIONS")


def _enter(cap: InflightCap) -> None:
    if _capped():
        # The connection's address, or X-Forwarded-For's once ProxyFix (trusted_proxy_hops) rewrote it.
        key = request.remote_addr or "unknown"
        cap.acquire(key)
        g.nexus_inflight_key = key  # released once, at teardown, only when it was counted


def _leave(cap: InflightCap, _exc: BaseException | None) -> None:
    key = g.pop("nexus_inflight_key", None)
    if key is not None:
        cap.release(key)


def init_app(app: Flask) -> None:
    """Take the client address (and scheme) from a trusted proxy (per ``trusted_proxy_hops``) and cap
    each client's requests in flight (per ``max_inflight_per_client``)."""
    settings = app.extensions["nexus_ld"].settings
    if settings.trusted_proxy_hops > 0:
        # Only the last N X-Forwarded-For entries are believed: the ones the trusted proxies added; and
        # X-Forwarded-Proto, so that the review session's cookie is Secure behind a TLS front.
        hops = settings.trusted_proxy_hops
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]
    if settings.max_inflight_per_client > 0:
        cap = InflightCap(settings.max_inflight_per_client)
        app.before_request(partial(_enter, cap))
        app.teardown_request(partial(_leave, cap))
