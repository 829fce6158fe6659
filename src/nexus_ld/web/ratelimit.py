"""A per-client rate limit kept in this process's memory (GCRA: one timestamp per client).

The app keeps no shared state so that it scales out; this limiter is therefore per process: with N
server processes a client may get up to N times the limit. Where one global limit matters, put it in
the reverse proxy (e.g. nginx ``limit_req``) in front of the processes — docs/sparql.md says how.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable

from ..errors import TooManyRequests

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
